/**
 * Starting a helper process of the local runtime (a proxy, the output relay) from its entry point
 * beside the calling module, and reading the one line it prints once it is up.
 */
import type { ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Node's arguments for `<name>.js` beside `moduleUrl` (compiled), or `<name>.ts` through tsx when
 * running from src/.
 */
export function entryArgs(moduleUrl: string, name: string): string[] {
  const here = fileURLToPath(moduleUrl)
  if (here.endsWith('.ts'))
    return ['--import', import.meta.resolve('tsx'), join(dirname(here), `${name}.ts`)]
  return [join(dirname(here), `${name}.js`)]
}

/**
 * The first line a helper process prints on stdout, parsed as JSON — or why there is none: it
 * exited, could not be started, said something else, or said nothing in `timeoutMs`. Stops reading
 * its stdout then, and lets it run on without holding this process.
 */
export async function readHello(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ hello: unknown } | { failed: string }> {
  const answer = await new Promise<{ hello: unknown } | { failed: string }>((resolve) => {
    let buffer = ''
    const timer = setTimeout(
      () => resolve({ failed: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    )
    const done = (a: { hello: unknown } | { failed: string }): void => {
      clearTimeout(timer)
      resolve(a)
    }
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const end = buffer.indexOf('\n')
      if (end < 0) return
      try {
        done({ hello: JSON.parse(buffer.slice(0, end)) as unknown })
      } catch {
        done({ failed: `it said ${buffer.slice(0, end)}` })
      }
    })
    child.once('error', (err) => done({ failed: err.message }))
    child.once('exit', (code, signal) =>
      done({ failed: `it exited (code ${code ?? '—'}, signal ${signal ?? '—'})` }),
    )
  })
  child.stdout?.destroy()
  child.unref()
  return answer
}
