/**
 * The process kubelet of the traffic test cluster: KWOK pods that opt in with the label
 * `test.kanari.dev/process: "true"` run as local processes, so Services and routes carry real requests.
 * Each Running pod's first container is started bound to the pod IP (env HOST) and its first
 * containerPort (env PORT) with the container's literal env, restarted when it exits, drained when the
 * pod goes (out of the endpoints first, SIGTERM a moment later), its output appended to a file.
 * Ready means a TCP connect succeeds. The API server refuses loopback addresses in IPv4 EndpointSlices,
 * so each Service selecting such pods gets an FQDN slice whose addresses are the ready pods' dotted
 * quads (Traefik's Gateway API provider uses them as given).
 * Usage: node --import tsx process-kubelet.ts <state dir>   (KUBECONFIG names the cluster)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node'

export const OPT_IN_LABEL = 'test.kanari.dev/process'
const MANAGER = 'process-kubelet.test.kanari.dev'
/** Time between leaving the endpoints and SIGTERM: the data plane must have dropped the address (Traefik
 * reloads 200 ms after a change, later on a loaded machine). */
const DRAIN_MS = Number(process.env.PROCESS_KUBELET_DRAIN_MS ?? 2000)
const KILL_AFTER_MS = 10_000

const stateDir = process.argv[2]
if (stateDir === undefined) {
  process.stderr.write('usage: process-kubelet.ts <state dir> (with KUBECONFIG set)\n')
  process.exit(2)
}
const logDir = join(stateDir, 'pods')
mkdirSync(logDir, { recursive: true })
const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`)
}

const kc = new KubeConfig()
kc.loadFromDefault()
const core = kc.makeApiClient(CoreV1Api)
const objects = KubernetesObjectApi.makeApiClient(kc)

interface Proc {
  key: string
  uid: string
  ns: string
  pod: string
  ip: string
  port: number
  labels: Record<string, string>
  child: ChildProcess | null
  ready: boolean
  draining: boolean
  restarts: number
  spec: V1Pod
}

/** By pod uid: every process this kubelet owns, draining ones included until they exit. */
const procs = new Map<string, Proc>()
let stopping = false

function wanted(pod: V1Pod): boolean {
  return (
    pod.metadata?.labels?.[OPT_IN_LABEL] === 'true' &&
    pod.metadata.deletionTimestamp === undefined &&
    pod.status?.phase === 'Running' &&
    (pod.status.podIP ?? '') !== ''
  )
}

function launch(p: Proc): void {
  const c = p.spec.spec?.containers[0]
  const argv = [...(c?.command ?? []), ...(c?.args ?? [])]
  if (c === undefined || argv.length === 0) {
    log(`${p.key}: container ${c?.name ?? '?'} has no command: nothing to run`)
    return
  }
  // A port still held by a draining process of a deleted pod (KWOK reuses IPs at once): wait for it.
  for (const other of procs.values())
    if (other !== p && other.ip === p.ip && other.port === p.port && other.child !== null) return
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: p.ip,
    PORT: String(p.port),
  }
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value
  const file = argv[0] === 'node' ? process.execPath : (argv[0] as string)
  const out = createWriteStream(join(logDir, `${p.ns}_${p.pod}_${p.uid}.log`), { flags: 'a' })
  const child = spawn(file, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.pipe(out, { end: false })
  child.stderr.pipe(out, { end: false })
  p.child = child
  log(`${p.key}: started pid ${child.pid} on ${p.ip}:${p.port}`)
  void probe(p, child)
  child.on('exit', (code, signal) => {
    out.end()
    p.child = null
    p.ready = false
    log(`${p.key}: pid ${child.pid} exited (${signal ?? code})`)
    if (p.draining || stopping) {
      procs.delete(p.uid)
      resync() // another pod may be waiting for this address
      return
    }
    publish(p)
    p.restarts++
    const delay = Math.min(5000, 200 * 2 ** Math.min(5, p.restarts - 1))
    setTimeout(() => {
      if (!p.draining && !stopping && p.child === null) launch(p)
    }, delay)
  })
}

function reachable(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port, timeout: 500 })
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
    s.once('timeout', () => (s.destroy(), resolve(false)))
  })
}

async function probe(p: Proc, child: ChildProcess): Promise<void> {
  // A function, not a condition: the process may exit or start draining during each await.
  const current = (): boolean => p.child === child && !p.draining
  while (current()) {
    if (await reachable(p.ip, p.port)) {
      if (current()) {
        p.ready = true
        log(`${p.key}: ready`)
        publish(p)
      }
      return
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Whether some Service selecting p would have no other ready process without it. */
function lastReady(p: Proc): boolean {
  return serviceInformer
    .list(p.ns)
    .some(
      (svc) =>
        selects(svc, p.labels) &&
        ![...procs.values()].some(
          (o) => o !== p && o.ns === p.ns && o.ready && !o.draining && selects(svc, o.labels),
        ),
    )
}

function drain(p: Proc): void {
  if (p.draining) return
  p.draining = true
  const child = p.child
  if (child === null) {
    p.ready = false
    publish(p)
    procs.delete(p.uid)
    return
  }
  // KWOK marks a new pod Ready before its process listens, so a Deployment deletes the old pod
  // too early: a real kubelet would not have reported the new one Ready yet. Keep the old one in
  // the endpoints until another process of its Services is ready (at most KILL_AFTER_MS).
  const since = Date.now()
  const leave = (): void => {
    if (p.ready && lastReady(p) && Date.now() - since < KILL_AFTER_MS && !stopping) {
      setTimeout(leave, 100)
      return
    }
    p.ready = false
    publish(p)
    log(`${p.key}: draining pid ${child.pid}`)
    setTimeout(() => {
      child.kill('SIGTERM')
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), KILL_AFTER_MS).unref()
    }, DRAIN_MS)
  }
  leave()
}

// ---- informers

const podInformer = makeInformer<V1Pod>(
  kc,
  '/api/v1/pods',
  () => core.listPodForAllNamespaces({ labelSelector: `${OPT_IN_LABEL}=true` }),
  `${OPT_IN_LABEL}=true`,
)
const serviceInformer = makeInformer<V1Service>(kc, '/api/v1/services', () =>
  core.listServiceForAllNamespaces(),
)

function resync(): void {
  if (stopping) return
  const seen = new Set<string>()
  for (const pod of podInformer.list()) {
    const uid = pod.metadata?.uid ?? ''
    if (!wanted(pod)) continue
    seen.add(uid)
    const existing = procs.get(uid)
    if (existing !== undefined) {
      existing.labels = pod.metadata?.labels ?? {}
      if (existing.child === null && !existing.draining && existing.restarts === 0) launch(existing)
      continue
    }
    const port = pod.spec?.containers[0]?.ports?.[0]?.containerPort
    if (port === undefined) {
      log(`${pod.metadata?.namespace}/${pod.metadata?.name}: no containerPort: not run`)
      continue
    }
    const p: Proc = {
      key: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
      uid,
      ns: pod.metadata?.namespace ?? '',
      pod: pod.metadata?.name ?? '',
      ip: pod.status?.podIP ?? '',
      port,
      labels: pod.metadata?.labels ?? {},
      child: null,
      ready: false,
      draining: false,
      restarts: 0,
      spec: pod,
    }
    procs.set(uid, p)
    launch(p)
  }
  for (const p of procs.values()) if (!seen.has(p.uid)) drain(p)
  for (const svc of serviceInformer.list()) void writeSlice(svc)
}

// ---- EndpointSlices

function selects(svc: V1Service, labels: Record<string, string>): boolean {
  const sel = svc.spec?.selector
  if (sel === undefined || Object.keys(sel).length === 0) return false
  return Object.entries(sel).every(([k, v]) => labels[k] === v)
}

/** Services whose slices may change when this process's readiness does. */
function publish(p: Proc): void {
  for (const svc of serviceInformer.list(p.ns)) if (selects(svc, p.labels)) void writeSlice(svc)
}

const written = new Map<string, string>()
const writing = new Map<string, Promise<void>>()

async function writeSlice(svc: V1Service): Promise<void> {
  const ns = svc.metadata?.namespace ?? ''
  const name = svc.metadata?.name ?? ''
  const members = [...procs.values()].filter((p) => p.ns === ns && selects(svc, p.labels))
  const key = `${ns}/${name}`
  if (members.length === 0 && !written.has(key)) return
  const ready = members.filter((p) => p.ready)
  const ports = (svc.spec?.ports ?? []).map((sp) => ({
    name: sp.name ?? '',
    protocol: sp.protocol ?? 'TCP',
    port: typeof sp.targetPort === 'number' ? sp.targetPort : (members[0]?.port ?? sp.port),
  }))
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${name}-processes`,
      namespace: ns,
      labels: {
        'kubernetes.io/service-name': name,
        'endpointslice.kubernetes.io/managed-by': MANAGER,
      },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata?.uid ?? '', controller: true },
      ],
    },
    addressType: 'FQDN',
    endpoints: ready
      .sort((a, b) => a.ip.localeCompare(b.ip))
      .map((p) => ({
        addresses: [p.ip],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: 'Pod', namespace: ns, name: p.pod, uid: p.uid },
      })),
    ports,
  }
  const text = JSON.stringify(slice)
  if (written.get(key) === text) return
  // One write per Service at a time, the newest state last.
  const before = writing.get(key) ?? Promise.resolve()
  const next = before.then(async () => {
    if (written.get(key) === text) return
    try {
      await objects.patch(slice, undefined, undefined, MANAGER, true, PatchStrategy.ServerSideApply)
      written.set(key, text)
      log(`${key}: endpoints [${ready.map((p) => p.ip).join(', ')}]`)
    } catch (err) {
      log(`${key}: cannot write the EndpointSlice: ${(err as Error).message.slice(0, 300)}`)
      setTimeout(() => void writeSlice(svc), 1000)
    }
  })
  writing.set(key, next)
  await next
}

for (const [name, inf] of [
  ['pods', podInformer],
  ['services', serviceInformer],
] as const) {
  for (const ev of ['add', 'update', 'delete'] as const)
    (inf as typeof podInformer).on(ev, () => resync())
  ;(inf as typeof podInformer).on('error', (err: unknown) => {
    log(`${name} watch failed (${String(err)}): restarting`)
    setTimeout(() => void (inf as typeof podInformer).start(), 1000)
  })
}

async function shutdown(): Promise<void> {
  if (stopping) return
  stopping = true
  log('stopping: SIGTERM to every process')
  await podInformer.stop()
  await serviceInformer.stop()
  const children = [...procs.values()].flatMap((p) => (p.child === null ? [] : [p.child]))
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve()
          c.once('exit', () => resolve())
          c.kill('SIGTERM')
          setTimeout(() => c.kill('SIGKILL'), 5000).unref()
        }),
    ),
  )
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown())
process.on('SIGINT', () => void shutdown())

await serviceInformer.start()
await podInformer.start()
log('watching pods labelled ' + `${OPT_IN_LABEL}=true`)
resync()
