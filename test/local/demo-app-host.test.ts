/** The demo app listens on the address HOST names (a pod IP on the traffic test cluster), loopback by default. */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { DEMO_APP, freePort, startDemoApp, stopAll, waitFor } from '../helpers/processes.js'

afterEach(stopAll)

describe('demo-app HOST', () => {
  it('listens on 127.0.0.1 by default and not on another loopback address', async () => {
    const app = await startDemoApp({ HOST: '' })
    expect((await request(`http://127.0.0.1:${app.port}/color`)).statusCode).toBe(200)
    await expect(request(`http://127.1.0.77:${app.port}/color`)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('listens on the address HOST names, and only there', async () => {
    const port = await freePort()
    const child = spawn(process.execPath, [DEMO_APP], {
      env: { ...process.env, HOST: '127.1.0.77', PORT: String(port), COLOR: 'green' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const body = await waitFor(async () => {
        const res = await request(`http://127.1.0.77:${port}/color`)
        return res.statusCode === 200 ? ((await res.body.json()) as { color: string }) : undefined
      }, 'the demo app on 127.1.0.77')
      expect(body.color).toBe('green')
      await expect(request(`http://127.0.0.1:${port}/color`)).rejects.toThrow(/ECONNREFUSED/)
    } finally {
      child.kill('SIGTERM')
      if (child.exitCode === null) await once(child, 'exit')
    }
  })

  it('exits with a clear error when it cannot listen on HOST', async () => {
    const port = await freePort()
    const child = spawn(process.execPath, [DEMO_APP], {
      env: { ...process.env, HOST: '192.0.2.1', PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(2)
    expect(stderr).toMatch(/cannot listen on 192\.0\.2\.1:\d+: .*set HOST and PORT/)
  })
})
