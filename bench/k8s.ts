/**
 * `npm run bench:k8s`: the controller at scale on the local test cluster (KWOK pods). For N
 * Rollouts (default 100 and 1,000) it creates N Deployments, HTTPRoutes and Rollouts, lets the
 * controller deploy them all, then changes every Deployment's template at once and drives each
 * rollout through one step (the canary at 50%, paused). It prints, per N:
 *   - step latency p50 / p99: from a Deployment's change (the PATCH answered) to the Rollout's
 *     TrafficShifted event (its `at`, taken by the controller when it decided),
 *   - reconcile latency p50 / p99 as the controller measures it (latest 4,096 reconciles),
 *   - the controller's resident memory (now and peak),
 *   - API requests per rollout step: all the controller's requests during the step phase over N,
 *     and by verb/resource,
 * and, for the larger N, each figure as a ratio of the smaller N's (same run, same cluster).
 * With KUBECONFIG set it runs against that cluster; otherwise it starts its own and stops it.
 * Options: --rollouts 100,1000  --runs 1 (medians over runs)  --workers 10 (the controller's default)
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeClient } from '../src/kubernetes/kit/client.js'
import { RESOURCES, type KubeObject } from '../src/kubernetes/kit/types.js'
import type { RolloutObject } from '../src/kubernetes/store/rollout-status-store.js'

const root = join(import.meta.dirname, '..')
const cluster = join(root, 'test', 'k8s', 'cluster')

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback
}
const SIZES = arg('rollouts', '100,1000').split(',').map(Number)
const RUNS = Number(arg('runs', '1'))
const WORKERS = arg('workers', '10')

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN
}
const median = (xs: number[]): number => quantile(xs, 0.5)

/** Runs `fn` over items with at most `n` at once. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const item = items[next++] as T
        await fn(item)
      }
    }),
  )
}

interface Controller {
  pid: number
  port: number
  /** The controller's latest log lines, for a failure message. */
  tail(): string
  stop(): Promise<void>
  metrics(): Promise<string>
}

async function startController(kubeconfig: string, namespace: string): Promise<Controller> {
  // KANARI_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the controller.
  const nodeArgs = (process.env.KANARI_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(root, 'bin', 'kanari'),
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      namespace,
      '--no-leader-elect',
      '--metrics-address',
      '127.0.0.1:0',
      '--workers',
      WORKERS,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let port = 0
  let text = ''
  child.stderr.on('data', (c: Buffer) => {
    text = (text + c.toString()).slice(-20_000)
    const m = /metrics on [^:]+:(\d+)/.exec(text)
    if (m?.[1] !== undefined && port === 0) port = Number(m[1])
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  while (port === 0) await sleep(100)
  return {
    pid: child.pid ?? 0,
    port,
    tail: () => text.split('\n').slice(-15).join('\n'),
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
  }
}

function requestsOf(metrics: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const m of metrics.matchAll(
    /^kanari_api_requests_total\{verb="([^"]+)",resource="([^"]+)"\} (\d+)/gm,
  ))
    out.set(`${m[1]} ${m[2]}`, Number(m[3]))
  return out
}

function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 }
}

interface Result {
  n: number
  stepP50: number
  stepP99: number
  reconcileP50: number
  reconcileP99: number
  rss: number
  peakRss: number
  requestsPerStep: number
  byVerb: [string, number][]
  deploySeconds: number
}

async function runOnce(client: KubeClient, kubeconfig: string, n: number): Promise<Result> {
  const ns = `kanari-bench-${n}-${Date.now().toString(36)}`
  await client.create(RESOURCES.namespaces, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  })
  const names = Array.from({ length: n }, (_, i) => `app-${String(i).padStart(4, '0')}`)
  const t0 = performance.now()
  await pool(names, 16, async (name) => {
    await client.create(RESOURCES.deployments, ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'registry.example/app:1',
                env: [{ name: 'VERSION', value: '1' }],
              },
            ],
          },
        },
      },
    })
    await client.create(RESOURCES.httpRoutes, ns, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: ns },
      spec: { parentRefs: [{ name: 'gateway' }] },
    })
    await client.create(RESOURCES.rollouts, ns, {
      apiVersion: 'kanari.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name, namespace: ns },
      spec: {
        replicas: 1,
        workload: { targetRef: { kind: 'Deployment', name } },
        service: { port: 80 },
        strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
        trafficRouting: { gatewayAPI: { httpRoute: name } },
      },
    })
  })
  const controller = await startController(kubeconfig, ns)
  try {
    const settled = (r: RolloutObject, deployments: Map<string, number>) =>
      r.status?.phase === 'Healthy' && deployments.get(r.metadata.name) === 0
    const deployBy = Date.now() + Math.max(300_000, n * 2_000)
    for (;;) {
      if (Date.now() > deployBy)
        throw new Error(
          `N=${n}: not all rollouts deployed in time; the controller says:\n${controller.tail()}`,
        )
      const rollouts = await client.list<RolloutObject>(RESOURCES.rollouts, ns)
      const deps = await client.list<KubeObject & { spec: { replicas?: number } }>(
        RESOURCES.deployments,
        ns,
      )
      const replicas = new Map(deps.items.map((d) => [d.metadata.name, d.spec.replicas ?? 1]))
      const done = rollouts.items.filter((r) => settled(r, replicas)).length
      if (done === n) break
      process.stderr.write(`\r  N=${n}: ${done}/${n} deployed and handed over to their primary  `)
      await sleep(2000)
    }
    const deploySeconds = (performance.now() - t0) / 1000
    process.stderr.write(
      `\r  N=${n}: all deployed in ${deploySeconds.toFixed(1)} s; changing every template\n`,
    )
    await sleep(2000)
    const before = requestsOf(await controller.metrics())
    const changedAt = new Map<string, number>()
    await pool(names, 16, async (name) => {
      await client.patch(RESOURCES.deployments, ns, name, [
        { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '2' },
      ])
      changedAt.set(name, Date.now())
    })
    const latencies = new Map<string, number>()
    const stepBy = Date.now() + Math.max(300_000, n * 2_000)
    for (;;) {
      if (Date.now() > stepBy)
        throw new Error(
          `N=${n}: not all rollouts reached the step in time; the controller says:\n${controller.tail()}`,
        )
      const rollouts = await client.list<RolloutObject>(RESOURCES.rollouts, ns)
      for (const r of rollouts.items) {
        if (latencies.has(r.metadata.name)) continue
        if (r.status?.phase !== 'Paused' || r.status.traffic?.canaryWeight !== 50) continue
        const shifted = (r.status.events ?? []).filter((e) => e.reason === 'TrafficShifted').at(-1)
        const changed = changedAt.get(r.metadata.name)
        if (shifted !== undefined && changed !== undefined)
          latencies.set(r.metadata.name, shifted.at - changed)
      }
      if (latencies.size === n) break
      process.stderr.write(`\r  N=${n}: ${latencies.size}/${n} at step 1 (50%, paused)  `)
      await sleep(1000)
    }
    process.stderr.write('\n')
    const metrics = await controller.metrics()
    const after = requestsOf(metrics)
    const byVerb: [string, number][] = [...after]
      .map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)])
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
    const total = byVerb.reduce((s, [, v]) => s + v, 0)
    const q = (name: string) =>
      Number(
        new RegExp(
          `^kanari_reconcile_duration_seconds\\{quantile="${name}"\\} ([\\d.e-]+)`,
          'm',
        ).exec(metrics)?.[1] ?? NaN,
      )
    const { rss, peak } = rssOf(controller.pid)
    const steps = [...latencies.values()]
    return {
      n,
      stepP50: quantile(steps, 0.5) / 1000,
      stepP99: quantile(steps, 0.99) / 1000,
      reconcileP50: q('0.5'),
      reconcileP99: q('0.99'),
      rss,
      peakRss: peak,
      requestsPerStep: total / n,
      byVerb: byVerb.map(([k, v]) => [k, v / n]),
      deploySeconds,
    }
  } finally {
    // The namespace goes first, while the controller runs: the Rollouts' finalizers need it.
    await client.delete(RESOURCES.namespaces, undefined, ns)
    const goneBy = Date.now() + 600_000
    while (
      (await client.find(RESOURCES.namespaces, undefined, ns)) !== undefined &&
      Date.now() < goneBy
    )
      await sleep(2000)
    await controller.stop()
  }
}

const mb = (b: number) => `${(b / 1048576).toFixed(0)} MiB`
const HEADER =
  'N      step p50  step p99  reconcile p50  reconcile p99  RSS      peak RSS  API requests/step  deploy all'
function row(r: Result): string {
  return `${String(r.n).padEnd(6)} ${r.stepP50.toFixed(2).padStart(7)} s ${r.stepP99.toFixed(2).padStart(7)} s ${(r.reconcileP50 * 1000).toFixed(1).padStart(10)} ms ${(r.reconcileP99 * 1000).toFixed(1).padStart(10)} ms  ${mb(r.rss).padStart(7)}  ${mb(r.peakRss).padStart(7)}  ${r.requestsPerStep.toFixed(2).padStart(17)}  ${r.deploySeconds.toFixed(0).padStart(6)} s`
}

async function main(): Promise<void> {
  let kubeconfig = process.env.KUBECONFIG ?? ''
  let stop: (() => void) | undefined
  if (kubeconfig === '') {
    const bin = execFileSync(join(cluster, 'build.sh'), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .at(-1) as string
    const dir = mkdtempSync(join(tmpdir(), 'kanari-bench-'))
    const pods = String(Math.max(...SIZES) * 4 + 100)
    execFileSync(join(cluster, 'start.sh'), {
      env: { ...process.env, CP_DIR: dir, CP_BIN: bin, CP_NODE_PODS: pods },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    kubeconfig = join(dir, 'kubeconfig')
    process.env.KUBECONFIG = kubeconfig
    process.env.KANARI_K8S_BIN = bin
    stop = () =>
      execFileSync(join(cluster, 'stop.sh'), [dir], {
        env: { ...process.env, CP_RM: '1' },
        stdio: 'inherit',
      })
  }
  try {
    execFileSync(join(cluster, 'install-crds.sh'), { stdio: ['ignore', 'ignore', 'inherit'] })
    const client = await KubeClient.connect({ kubeconfig })
    const results: Result[] = []
    for (const n of SIZES) {
      const runs: Result[] = []
      for (let i = 0; i < RUNS; i++) {
        const r = await runOnce(client, kubeconfig, n)
        runs.push(r)
        process.stderr.write(`  ${HEADER}\n  ${row(r)}\n`)
      }
      const m = (f: (r: Result) => number) => median(runs.map(f))
      results.push({
        n,
        stepP50: m((r) => r.stepP50),
        stepP99: m((r) => r.stepP99),
        reconcileP50: m((r) => r.reconcileP50),
        reconcileP99: m((r) => r.reconcileP99),
        rss: m((r) => r.rss),
        peakRss: m((r) => r.peakRss),
        requestsPerStep: m((r) => r.requestsPerStep),
        byVerb: runs[0]?.byVerb ?? [],
        deploySeconds: m((r) => r.deploySeconds),
      })
    }
    await client.close()
    console.log(
      `\nKanari controller, one rollout step each (${RUNS} run${RUNS === 1 ? '' : 's'}, medians; workers ${WORKERS})`,
    )
    console.log(HEADER)
    for (const r of results) console.log(row(r))
    for (const r of results) {
      console.log(`\nAPI requests per rollout step, N=${r.n}:`)
      for (const [k, v] of r.byVerb) console.log(`  ${v.toFixed(2).padStart(6)}  ${k}`)
    }
    const [a, b] = [results[0], results.at(-1)]
    if (a !== undefined && b !== undefined && a !== b)
      console.log(
        `\nN=${b.n} vs N=${a.n}: step p50 ×${(b.stepP50 / a.stepP50).toFixed(2)}, reconcile p50 ×${(b.reconcileP50 / a.reconcileP50).toFixed(2)}, RSS ×${(b.rss / a.rss).toFixed(2)}, requests/step ×${(b.requestsPerStep / a.requestsPerStep).toFixed(2)}`,
      )
    console.log(JSON.stringify({ results }, null, 0))
  } finally {
    stop?.()
  }
}

await main()
