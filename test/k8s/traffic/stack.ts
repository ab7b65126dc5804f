/**
 * What the real-traffic tests share: the data plane start-traffic.sh brought up (Traefik's gateway port,
 * Prometheus), a Gateway and HTTPRoute in the test's namespace, the user's Deployment of demo-app pods
 * that the process kubelet runs, and a bounded load generator that counts what users got.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import type { KubeObject } from '../../../src/kubernetes/kit/types.js'
import { applyObject, waitFor } from '../support/kube.js'

export const DEMO_APP = fileURLToPath(new URL('../../../demo-app/server.js', import.meta.url))
/** The opt-in label of the process kubelet (test/k8s/cluster/process-kubelet.ts). */
export const PROCESS_LABEL = 'test.kanari.dev/process'

export interface TrafficStack {
  gatewayPort: number
  prometheusUrl: string
}

/** The data plane of the cluster test/k8s/run.sh started, from its env file. */
export function trafficStack(): TrafficStack {
  const dir = process.env.KANARI_K8S_DIR ?? ''
  const env = new Map<string, string>()
  try {
    for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
      const eq = line.indexOf('=')
      if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1))
    }
  } catch {
    // reported below
  }
  const port = Number(env.get('TRAEFIK_WEB_PORT'))
  const prometheusUrl = env.get('PROMETHEUS_URL') ?? ''
  if (!Number.isInteger(port) || port <= 0 || prometheusUrl === '')
    throw new Error(
      `the real-traffic tests need the data plane of test/k8s/cluster/start-traffic.sh (no TRAEFIK_WEB_PORT/PROMETHEUS_URL in ${join(dir, 'env')}): run them with \`npm run test:k8s\` on the cluster it starts`,
    )
  return { gatewayPort: port, prometheusUrl }
}

/** A Gateway of class traefik listening on the gateway port, and an HTTPRoute `name` on it. */
export async function gatewayAndRoute(
  ns: string,
  name: string,
  stack: TrafficStack,
): Promise<string> {
  await applyObject({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gateway', namespace: ns },
    spec: {
      gatewayClassName: 'traefik',
      listeners: [{ name: 'web', port: stack.gatewayPort, protocol: 'HTTP' }],
    },
  })
  const host = `${name}.${ns}.test`
  await applyObject({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns },
    spec: { parentRefs: [{ name: 'gateway' }], hostnames: [host] },
  })
  return host
}

/** The user's Deployment: demo-app pods run as processes, version and faults by env. */
export function appDeployment(
  ns: string,
  name: string,
  env: Record<string, string>,
  replicas = 1,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, [PROCESS_LABEL]: 'true' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: 'registry.example/demo-app:1',
              command: ['node', DEMO_APP],
              env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
              ports: [{ name: 'http', containerPort: 8080 }],
            },
          ],
        },
      },
    },
  }
}

export interface LoadReport {
  sent: number
  ok: number
  /** Answers of 5xx or no answer at all: what users saw fail. */
  failed: number
  byStatus: Record<string, number>
  byVersion: Record<string, number>
  /** The versions that answered, in order of first answer. */
  firstSeen: { version: string; atMs: number }[]
}

export interface Load {
  report(): LoadReport
  /** Ends the load and waits for requests in flight. */
  stop(): Promise<LoadReport>
}

/**
 * `concurrency` users requesting GET /color through the gateway as fast as answers come, up to
 * `maxRequests` or `maxMs`, counting each answer; independent of Kanari's own measurements.
 */
export function startLoad(
  stack: TrafficStack,
  host: string,
  options: { concurrency?: number; maxRequests?: number; maxMs?: number } = {},
): Load {
  const agent = new Agent({ connections: options.concurrency ?? 4 })
  const r: LoadReport = { sent: 0, ok: 0, failed: 0, byStatus: {}, byVersion: {}, firstSeen: [] }
  const end = Date.now() + (options.maxMs ?? 300_000)
  const max = options.maxRequests ?? 200_000
  let stopped = false
  const user = async (): Promise<void> => {
    while (!stopped && r.sent < max && Date.now() < end) {
      r.sent++
      let status = 'error'
      try {
        const res = await request(`http://127.0.0.1:${stack.gatewayPort}/color`, {
          headers: { host },
          dispatcher: agent,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        })
        status = String(res.statusCode)
        const text = await res.body.text()
        if (res.statusCode < 500) {
          r.ok++
          const version = (JSON.parse(text) as { version?: string }).version ?? '?'
          r.byVersion[version] = (r.byVersion[version] ?? 0) + 1
          if (!r.firstSeen.some((f) => f.version === version))
            r.firstSeen.push({ version, atMs: Date.now() })
        } else r.failed++
      } catch {
        r.failed++
      }
      r.byStatus[status] = (r.byStatus[status] ?? 0) + 1
    }
  }
  const users = Array.from({ length: options.concurrency ?? 4 }, () => user())
  return {
    report: () => structuredClone(r),
    stop: async () => {
      stopped = true
      await Promise.all(users)
      await agent.close()
      return structuredClone(r)
    },
  }
}

/** Waits until every answer through the gateway comes from `version` (n in a row). */
export async function servedOnlyBy(
  stack: TrafficStack,
  host: string,
  version: string,
  n = 20,
): Promise<void> {
  await waitFor(
    `only ${version} answering through the gateway`,
    async () => {
      for (let i = 0; i < n; i++) {
        const res = await request(`http://127.0.0.1:${stack.gatewayPort}/color`, {
          headers: { host },
        })
        const text = await res.body.text()
        if (res.statusCode !== 200) return undefined
        if ((JSON.parse(text) as { version?: string }).version !== version) return undefined
      }
      return true
    },
    120_000,
  )
}

/** A traffic metric on Traefik's counters through Prometheus (the traefik query set). */
export function traefikMetric(
  stack: TrafficStack,
  name: 'error-rate' | 'latency-p99',
  max: number,
): Record<string, unknown> {
  return {
    name,
    thresholdRange: { max },
    provider: { prometheus: { address: stack.prometheusUrl, traffic: { querySet: 'traefik' } } },
  }
}
