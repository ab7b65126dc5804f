/**
 * Local mode's ports against the shared contracts: the proxy router over a real proxy process (and
 * one in-process), the builtin metric provider over real requests through a proxy process to real
 * demo-app processes, and the process workloads over real replicas (a tiny HTTP server each) run by
 * the supervisor. (The SQLite store needs no process: src/local/store/sqlite-store.contract.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll } from 'vitest'
import { runMetricProviderContract } from '../../src/controller/test-utils/metric-provider-contract.js'
import { runTrafficRouterContract } from '../../src/controller/test-utils/traffic-router-contract.js'
import { runWorkloadDriverContract } from '../../src/controller/test-utils/workload-driver-contract.js'
import { errorRateMetric } from '../../src/engine/test-utils/plans.js'
import { Tick } from '../../src/engine/tick.js'
import { BuiltinMetricProvider } from '../../src/local/driver/builtin-metrics.js'
import { ProcessWorkloads, replicaSetKey } from '../../src/local/driver/process-workloads.js'
import { inProcessTable, ProxyRouter } from '../../src/local/driver/proxy-router.js'
import { startProxy } from '../../src/local/proxy/index.js'
import { ProxyHost } from '../../src/local/proxy-host/host-process.js'
import { Supervisor } from '../../src/local/supervisor/index.js'
import { startDemoApp, stopAll, type DemoApp } from '../helpers/processes.js'

const emptyRoutes = { backends: [], weights: [], headerRoutes: [] }

let blue: DemoApp
let green: DemoApp
beforeAll(async () => {
  ;[blue, green] = await Promise.all([
    startDemoApp({ COLOR: 'blue' }),
    startDemoApp({ COLOR: 'green' }),
  ])
})
afterAll(stopAll)

function endpointsOf(revision: number): { host: string; port: number }[] {
  const app = revision === 1 ? blue : green
  return [{ host: '127.0.0.1', port: app.port }]
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-contract-'))
  dirs.push(dir)
  return dir
}

runTrafficRouterContract('local proxy process', async () => {
  const host = await ProxyHost.start({
    name: 'contract',
    host: '127.0.0.1',
    port: 0,
    stateDir: tempDir(),
  })
  return {
    router: new ProxyRouter(host, { endpoints: endpointsOf }),
    close: () => host.close(0),
  }
})

runTrafficRouterContract('local proxy in-process', async () => {
  const proxy = await startProxy({ port: 0, routes: emptyRoutes, name: 'contract' })
  return {
    router: new ProxyRouter(inProcessTable(proxy), { endpoints: endpointsOf }),
    close: () => proxy.close({ drainMs: 0 }),
  }
})

/** Whole seconds only count once complete: wait until `ms` is in the past second. */
async function pastSecond(ms: number): Promise<number> {
  const due = Math.floor(ms / 1000) * 1000 + 1000
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now() + 20)))
  return Date.now()
}

runMetricProviderContract('local builtin (proxy process counters)', async () => {
  let proxy: ProxyHost | undefined = await ProxyHost.start({
    name: 'metrics',
    host: '127.0.0.1',
    port: 0,
    stateDir: tempDir(),
  })
  const router = new ProxyRouter(proxy, { endpoints: endpointsOf })
  const traffic = { ...Tick.stableOnly(1, 2), canaryWeight: 50 }
  await router.apply(traffic)
  const provider = new BuiltinMetricProvider(() => proxy)
  const metric = errorRateMetric()
  return {
    provider,
    async arrange(scenario) {
      const from = Math.floor(Date.now() / 1000) * 1000
      if (scenario === 'data' && proxy !== undefined) {
        for (let i = 0; i < 60; i++) {
          const res = await request(`http://127.0.0.1:${proxy.port}/color`)
          await res.body.dump()
        }
      }
      if (scenario === 'failure') {
        // the proxy process is gone: its counters cannot be read
        await proxy?.close(0)
      }
      const now = await pastSecond(Date.now())
      return {
        metric,
        request: {
          runId: 'contract',
          metric: metric.name,
          provider: metric.provider,
          from,
          to: now,
        },
        context: { traffic, now },
      }
    },
    close: async () => {
      await proxy?.close(0)
      proxy = undefined
    },
  }
})

/** A replica that is ready as soon as node has started: it answers every request on $PORT. */
const TINY_SERVER = `require('node:http')
  .createServer((_req, res) => res.end('ok'))
  .listen(Number(process.env.PORT), '127.0.0.1')
`

// One supervisor (and its output relay process) for every case; each case is a rollout of its own.
let supervisor: Supervisor | undefined
afterAll(() => supervisor?.shutdown())
let cases = 0

runWorkloadDriverContract('local processes (supervisor)', () => {
  const dir = tempDir()
  const script = join(dir, 'server.cjs')
  writeFileSync(script, TINY_SERVER)
  supervisor ??= new Supervisor({ stateDir: tempDir() })
  const running = supervisor
  const rollout = `contract-${++cases}`
  const template = {
    command: [process.execPath, script],
    cwd: dir,
    env: {},
    readiness: { httpGet: '/' },
  }
  const templates = new Map([1, 2].map((revision) => [revision, template]))
  return Promise.resolve({
    driver: new ProcessWorkloads(
      running,
      rollout,
      () => templates,
      () => undefined,
    ),
    // Replicas start, probe and stop in real time: look again a moment later.
    pass: () => new Promise<void>((r) => setTimeout(r, 25)),
    patience: 400,
    close: async () => {
      await Promise.all([1, 2].map((revision) => running.remove(replicaSetKey(rollout, revision))))
    },
  })
})
