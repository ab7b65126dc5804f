/**
 * The local daemon: one per state directory. It owns the SQLite store (and its lock), the process
 * supervisor, one proxy per rollout, and the REST API on 127.0.0.1 that the CLI talks to. Started
 * again after a crash, it re-adopts running replicas and resumes every rollout from its stored status.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { ConflictError, InputError, NotFoundError } from '../../errors.js'
import type { RolloutCommand } from '../../engine/commands.js'
import { initialStatus, type RolloutStatus } from '../../engine/status.js'
import { startsRelease, type EngineEvent } from '../../engine/events.js'
import { processTable } from '../../report/process-table.js'
import { KANARI_VERSION } from '../../version.js'
import { renderPrometheus } from '../metrics/index.js'
import { StateStore, type StoredEvent } from '../store/index.js'
import { Supervisor } from '../supervisor/index.js'
import { ApiRouter } from './http-api.js'
import { apiInfoPath, writeApiInfo } from './paths.js'
import type { Rollout } from '../../spec/schema.js'
import { processTemplate, type ProcessTemplate, type Workload } from './rollout-document.js'
import { RolloutController, replicaSetKey } from './rollout-controller.js'
import {
  parseRolloutSet,
  STDIN_NAME,
  planFor,
  templateHash,
  toSourceFile,
  type SourceFile,
} from '../../manifests/rollout-set.js'

export interface DaemonOptions {
  stateDir: string
  /** API port on 127.0.0.1; 0 picks a free one. */
  apiPort?: number
  /** Engine tick interval. */
  tickMs?: number
  log?: (line: string) => void
  /** Called after a shutdown requested through the API (`kanari down`) has stopped everything. */
  onStopped?: () => void
}

/** What the store keeps as a rollout's "spec": the document and where it was applied from. */
interface StoredSpec {
  doc: Rollout
  templates: unknown[]
  baseDir: string
}

export class Daemon {
  readonly store: StateStore
  readonly supervisor: Supervisor
  readonly controllers = new Map<string, RolloutController>()
  readonly #token = randomBytes(24).toString('hex')
  #server: Server | undefined
  #url = ''
  #stopping: Promise<void> | undefined
  readonly #log: (line: string) => void
  readonly #tickMs: number

  private constructor(readonly options: DaemonOptions) {
    mkdirSync(options.stateDir, { recursive: true })
    this.#log =
      options.log ?? ((line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`))
    this.#tickMs = options.tickMs ?? 1000
    this.store = StateStore.open(options.stateDir)
    this.supervisor = new Supervisor({
      stateDir: options.stateDir,
      store: this.store,
      host: '127.0.0.1',
      log: this.#log,
    })
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options)
    try {
      await daemon.#start()
    } catch (err) {
      await daemon.stop({ keepReplicas: true }).catch(() => undefined)
      throw err
    }
    return daemon
  }

  get url(): string {
    return this.#url
  }

  get token(): string {
    return this.#token
  }

  async #start(): Promise<void> {
    await this.supervisor.adopt()
    this.supervisor.on('change', (key: string) => {
      const name = key.slice(0, key.lastIndexOf('@'))
      this.controllers.get(name)?.syncProxy()
    })
    for (const stored of this.store.listRollouts()) {
      const spec = stored.spec as StoredSpec
      const controller = this.#controllerFor(
        stored.name,
        spec,
        stored.revision,
        stored.status as RolloutStatus,
      )
      this.controllers.set(stored.name, controller)
      await controller.start(this.#tickMs)
      this.#log(
        `resumed rollout ${stored.name} at revision ${stored.revision} (${(stored.status as RolloutStatus).phase})`,
      )
    }
    const router = this.#routes(new ApiRouter(this.#token))
    const server = createServer((req, res) => void router.handle(req, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.apiPort ?? 0, '127.0.0.1', () => resolve())
    })
    this.#server = server
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    writeApiInfo(this.options.stateDir, {
      url: this.#url,
      token: this.#token,
      pid: process.pid,
      startedAt: Date.now(),
      version: KANARI_VERSION,
    })
    this.#log(
      `kanari daemon ${KANARI_VERSION} serving ${this.#url} (state ${this.options.stateDir})`,
    )
  }

  #templatesOf(name: string, baseDir: string): Map<number, ProcessTemplate> {
    const out = new Map<number, ProcessTemplate>()
    for (const r of this.store.getRevisions(name)) {
      const t = processTemplate(r.template as Workload, baseDir)
      if (t !== undefined) out.set(r.revision, t)
    }
    return out
  }

  #controllerFor(
    name: string,
    spec: StoredSpec,
    revision: number,
    status: RolloutStatus,
  ): RolloutController {
    const sticky = spec.doc.spec.trafficRouting?.proxy?.stickiness
    return new RolloutController(
      { store: this.store, supervisor: this.supervisor, log: this.#log, now: () => Date.now() },
      {
        name,
        plan: planFor(spec.doc, spec.templates, revision),
        status,
        servicePort: spec.doc.spec.service.port,
        ...(sticky === undefined ? {} : { sticky }),
        templates: this.#templatesOf(name, spec.baseDir),
      },
    )
  }

  /** Applies Rollouts (and their AnalysisTemplates): a changed workload makes a new revision. */
  async apply(
    files: SourceFile[],
    baseDir: string,
  ): Promise<
    {
      name: string
      revision: number
      result: 'created' | 'configured' | 'unchanged' | 'new revision'
    }[]
  > {
    const set = parseRolloutSet(files)
    const results: {
      name: string
      revision: number
      result: 'created' | 'configured' | 'unchanged' | 'new revision'
    }[] = []
    for (const { doc } of set.rollouts) {
      const name = doc.metadata.name
      if (doc.spec.workload.process === undefined) {
        throw new InputError(
          `rollout ${name}: spec.workload.process is required in local mode (targetRef workloads need Kubernetes)`,
        )
      }
      for (const [other, c] of this.controllers) {
        if (
          other !== name &&
          doc.spec.service.port !== 0 &&
          c.servicePort === doc.spec.service.port
        ) {
          throw new ConflictError(
            `rollout ${name}: spec.service.port ${doc.spec.service.port} is already used by rollout ${other}`,
            { hint: 'pick another port' },
          )
        }
      }
    }
    for (const { doc, file } of set.rollouts) {
      const name = doc.metadata.name
      // Paths in a process workload are relative to the manifest's own directory (stdin: the caller's).
      const dir = file === STDIN_NAME ? baseDir : dirname(resolve(baseDir, file))
      const spec: StoredSpec = { doc, templates: set.templates, baseDir: dir }
      const hash = templateHash(doc)
      const existing = this.store.getRollout(name)
      const revisions = existing === undefined ? [] : this.store.getRevisions(name)
      let revision: number
      let result: 'created' | 'configured' | 'unchanged' | 'new revision'
      if (existing === undefined) {
        revision = 1
        result = 'created'
      } else {
        const current = revisions.find((r) => r.revision === existing.revision)
        const status = existing.status as RolloutStatus
        const stable = revisions.find((r) => r.revision === status.stableRevision)
        if (current?.hash === hash) {
          revision = existing.revision
          result =
            JSON.stringify((existing.spec as StoredSpec).doc) === JSON.stringify(doc)
              ? 'unchanged'
              : 'configured'
        } else if (stable?.hash === hash) {
          revision = stable.revision
          result = 'new revision'
        } else {
          revision = Math.max(0, ...revisions.map((r) => r.revision)) + 1
          result = 'new revision'
        }
      }
      // Validate the plan before storing anything: bad input changes nothing.
      planFor(doc, set.templates, revision)
      if (!revisions.some((r) => r.revision === revision))
        this.store.putRevision(name, revision, doc.spec.workload, hash)
      const status = existing === undefined ? initialStatus() : (existing.status as RolloutStatus)
      this.store.putRollout({ name, spec, templates: set.templates, revision, status })
      const controller = this.controllers.get(name)
      if (controller === undefined) {
        const c = this.#controllerFor(name, spec, revision, status)
        this.controllers.set(name, c)
        await c.start(this.#tickMs)
      } else {
        const sticky = doc.spec.trafficRouting?.proxy?.stickiness
        await controller.update({
          name,
          plan: planFor(doc, set.templates, revision),
          servicePort: doc.spec.service.port,
          ...(sticky === undefined ? {} : { sticky }),
          templates: this.#templatesOf(name, dir),
        })
      }
      results.push({ name, revision, result })
    }
    return results
  }

  #controller(name: string): RolloutController {
    const c = this.controllers.get(name)
    if (c === undefined) {
      const known = [...this.controllers.keys()]
      throw new NotFoundError(`rollout ${name} not found`, {
        hint:
          known.length === 0
            ? 'apply one with `kanari apply -f rollout.yaml`'
            : `known rollouts: ${known.join(', ')}`,
      })
    }
    return c
  }

  describe(name: string, eventLimit = 200): RolloutView {
    const c = this.#controller(name)
    const stored = this.store.getRollout(name)
    const events = this.store.events(name, { limit: eventLimit })
    const status = c.status
    const versions = Object.keys({
      ...status.replicas,
      ...(status.stableRevision === null ? {} : { [status.stableRevision]: 0 }),
      ...(status.canaryRevision === null ? {} : { [status.canaryRevision]: 0 }),
    })
      .map(Number)
      .sort((a, b) => a - b)
      .map((revision) => {
        const set = this.supervisor.status(replicaSetKey(name, revision))
        const role =
          revision === status.stableRevision
            ? 'stable'
            : revision === status.canaryRevision
              ? 'canary'
              : 'old'
        const traffic = c.proxy?.traffic.totals(`rev-${revision}`)
        return {
          revision,
          role,
          desired: set?.desired ?? 0,
          ready: set?.ready ?? 0,
          restarts: set?.restarts ?? 0,
          crashLooping: set?.crashLooping ?? false,
          requests: traffic?.requests ?? 0,
          errors: traffic?.errors ?? 0,
          pids: (set?.replicas ?? []).flatMap((r) => (r.pid === null ? [] : [r.pid])),
        }
      })
    const release = releaseEvents(events)
    return {
      name,
      revision: stored?.revision ?? 0,
      serviceUrl: `http://127.0.0.1:${c.servicePort}`,
      status,
      plan: c.plan,
      versions,
      events: events.slice(-50),
      processTable: processTable(release),
    }
  }

  #routes(router: ApiRouter): ApiRouter {
    const commandRoute =
      (type: RolloutCommand['type']) =>
      async (req: { params: Record<string, string>; body: unknown }) => {
        const body = (req.body ?? {}) as { full?: unknown; reason?: unknown }
        const command: RolloutCommand =
          type === 'promote'
            ? { type, full: body.full === true }
            : type === 'abort'
              ? { type, ...(typeof body.reason === 'string' ? { reason: body.reason } : {}) }
              : { type }
        await this.#controller(req.params.name ?? '').command(command)
        return this.describe(req.params.name ?? '')
      }
    return router
      .on('GET', '/api/v1/health', () =>
        Promise.resolve({
          ok: true,
          version: KANARI_VERSION,
          pid: process.pid,
          stateDir: this.options.stateDir,
        }),
      )
      .on('GET', '/api/v1/rollouts', () =>
        Promise.resolve({
          items: [...this.controllers.values()].map((c) => ({
            name: c.name,
            phase: c.status.phase,
            message: c.status.message,
            stableRevision: c.status.stableRevision,
            canaryRevision: c.status.canaryRevision,
            canaryWeight: c.status.traffic.canaryWeight,
            step: c.status.currentStepIndex,
            serviceUrl: `http://127.0.0.1:${c.servicePort}`,
          })),
        }),
      )
      .on('GET', '/api/v1/rollouts/:name', (req) =>
        Promise.resolve(
          this.describe(req.params.name ?? '', Number(req.query.get('events') ?? 200)),
        ),
      )
      .on('GET', '/api/v1/rollouts/:name/events', (req) => {
        this.#controller(req.params.name ?? '')
        const since = Number(req.query.get('since') ?? 0)
        return Promise.resolve({
          items: this.store.events(req.params.name ?? '', { sinceId: since, limit: 500 }),
        })
      })
      .on('GET', '/api/v1/rollouts/:name/logs', (req) => {
        const c = this.#controller(req.params.name ?? '')
        const revision =
          req.query.get('canary') === 'true' ? c.status.canaryRevision : c.status.stableRevision
        if (revision === null)
          throw new ConflictError(
            `rollout ${c.name} has no ${req.query.get('canary') === 'true' ? 'canary' : 'stable'} revision running`,
          )
        const lines = this.supervisor.logs(replicaSetKey(c.name, revision), {
          lines: Number(req.query.get('lines') ?? 100),
        })
        return Promise.resolve({ revision, lines })
      })
      .on('PUT', '/api/v1/rollouts', async (req) => {
        const body = req.body as { files?: unknown; baseDir?: unknown }
        if (!Array.isArray(body.files) || typeof body.baseDir !== 'string')
          throw new InputError('body must be { files: [{ name, text }], baseDir }')
        return { results: await this.apply(body.files as SourceFile[], body.baseDir) }
      })
      .on('POST', '/api/v1/rollouts/:name/promote', commandRoute('promote'))
      .on('POST', '/api/v1/rollouts/:name/abort', commandRoute('abort'))
      .on('POST', '/api/v1/rollouts/:name/retry', commandRoute('retry'))
      .on('POST', '/api/v1/rollouts/:name/pause', commandRoute('pause'))
      .on('POST', '/api/v1/rollouts/:name/resume', commandRoute('resume'))
      .on('POST', '/api/v1/rollouts/:name/undo', async (req) => {
        const name = req.params.name ?? ''
        const c = this.#controller(name)
        const body = (req.body ?? {}) as { toRevision?: unknown }
        const revisions = this.store.getRevisions(name)
        const stored = this.store.getRollout(name)
        if (stored === undefined) throw new NotFoundError(`rollout ${name} not found`)
        let target: number | undefined
        if (typeof body.toRevision === 'number') target = body.toRevision
        else
          target = revisions
            .map((r) => r.revision)
            .filter((r) => r !== stored.revision)
            .sort((a, b) => b - a)[0]
        const template = revisions.find((r) => r.revision === target)
        if (template === undefined) {
          throw new InputError(
            `rollout ${name} has no revision ${target ?? '(none before the current one)'}`,
            { hint: `known revisions: ${revisions.map((r) => r.revision).join(', ')}` },
          )
        }
        const spec = stored.spec as StoredSpec
        const doc = {
          ...spec.doc,
          spec: { ...spec.doc.spec, workload: template.template as Workload },
        }
        const files: SourceFile[] = [toSourceFile(`undo-${name}.yaml`, [doc, ...spec.templates])]
        if (c.status.phase === 'Initializing')
          throw new ConflictError(
            `rollout ${name} is still deploying its first revision; nothing to undo`,
          )
        return { results: await this.apply(files, spec.baseDir) }
      })
      .on('POST', '/api/v1/rollouts/:name/env', async (req) => {
        const name = req.params.name ?? ''
        this.#controller(name)
        const body = (req.body ?? {}) as { set?: unknown; unset?: unknown }
        const set = (body.set ?? {}) as Record<string, unknown>
        const unset = Array.isArray(body.unset) ? (body.unset as unknown[]).map(String) : []
        const stored = this.store.getRollout(name)
        if (stored === undefined) throw new NotFoundError(`rollout ${name} not found`)
        const spec = stored.spec as StoredSpec
        const process = spec.doc.spec.workload.process
        if (process === undefined)
          throw new InputError(`rollout ${name} has no process workload to set env on`)
        const env: Record<string, string> = { ...((process.env ?? {}) as Record<string, string>) }
        for (const [k, v] of Object.entries(set)) env[k] = String(v)
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
        for (const k of unset) delete env[k]
        const doc = {
          ...spec.doc,
          spec: {
            ...spec.doc.spec,
            workload: { ...spec.doc.spec.workload, process: { ...process, env } },
          },
        }
        const files: SourceFile[] = [toSourceFile(`set-env-${name}.yaml`, [doc, ...spec.templates])]
        return { results: await this.apply(files, spec.baseDir) }
      })
      .on('DELETE', '/api/v1/rollouts/:name', async (req) => {
        const name = req.params.name ?? ''
        const c = this.#controller(name)
        await c.stop(2000)
        this.controllers.delete(name)
        for (const set of this.supervisor.list())
          if (set.key.startsWith(`${name}@`)) await this.supervisor.remove(set.key)
        this.store.deleteRollout(name)
        return { deleted: name }
      })
      .on('POST', '/api/v1/shutdown', () => {
        setImmediate(
          () => void this.stop({ keepReplicas: false }).then(() => this.options.onStopped?.()),
        )
        return Promise.resolve({ stopping: true, pid: process.pid })
      })
      .on('GET', '/metrics', (_req, res) => {
        const text = renderPrometheus(
          [...this.controllers.values()].flatMap((c) =>
            c.proxy === undefined
              ? []
              : [
                  {
                    name: c.name,
                    recorder: c.proxy.traffic,
                    roleOf: (id: string) =>
                      id === `rev-${c.status.stableRevision ?? ''}`
                        ? 'stable'
                        : id === `rev-${c.status.canaryRevision ?? ''}`
                          ? 'canary'
                          : 'old',
                  },
                ],
          ),
        )
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        res.end(text)
        return Promise.resolve(undefined)
      })
  }

  /** Stops the API and every proxy (draining in-flight requests), then the replicas unless kept. */
  stop(options: { keepReplicas: boolean; drainMs?: number }): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all([...this.controllers.values()].map((c) => c.stop(options.drainMs ?? 5000)))
      await new Promise<void>((resolve) => {
        if (this.#server === undefined) resolve()
        else this.#server.close(() => resolve())
        this.#server?.closeAllConnections()
      })
      await this.supervisor.shutdown({ keepRunning: options.keepReplicas })
      rmSync(apiInfoPath(this.options.stateDir), { force: true })
      this.store.close()
      this.#log('kanari daemon stopped')
    })()
    return this.#stopping
  }
}

export interface RolloutView {
  name: string
  revision: number
  serviceUrl: string
  status: RolloutStatus
  plan: unknown
  versions: {
    revision: number
    role: string
    desired: number
    ready: number
    restarts: number
    crashLooping: boolean
    requests: number
    errors: number
    pids: number[]
  }[]
  events: StoredEvent[]
  processTable: ReturnType<typeof processTable>
}

/** The events of the latest release: from the last event that started one. */
export function releaseEvents<E extends EngineEvent>(events: E[]): E[] {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]
    if (e !== undefined && startsRelease(e)) return events.slice(i)
  }
  return []
}

export function daemonLogPath(stateDir: string): string {
  return join(stateDir, 'daemon.log')
}
