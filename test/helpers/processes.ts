/** Test helpers: real demo-app processes on free ports, polling with deadlines, and cleanup. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { freePort } from '../../src/local/free-port.js'
export { freePort }

export const DEMO_APP = fileURLToPath(new URL('../../demo-app/server.js', import.meta.url))
export const KANARI_BIN = fileURLToPath(new URL('../../bin/kanari', import.meta.url))

export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== null && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})`}`,
      )
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

export interface DemoApp {
  port: number
  child: ChildProcess
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()

export async function startDemoApp(env: Record<string, string>): Promise<DemoApp> {
  const port = await freePort()
  const child = spawn(process.execPath, [DEMO_APP], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  running.add(child)
  await waitFor(
    async () => (await request(`http://127.0.0.1:${port}/healthz`)).statusCode === 200,
    `demo app on ${port}`,
  )
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        running.delete(child)
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (c) =>
        new Promise<void>((resolve) => {
          running.delete(c)
          if (c.exitCode !== null || c.signalCode !== null) return resolve()
          c.once('exit', () => resolve())
          c.kill('SIGKILL')
        }),
    ),
  )
}

/** Whether a pid is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
