/**
 * The local daemon: one per state directory. It owns the SQLite store (and its lock), the process
 * supervisor, one controller (with its proxy) per rollout, and the REST API on 127.0.0.1 that the
 * CLI talks to. Started again after a crash, it re-adopts running replicas and resumes every rollout
 * from its stored status.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConflictError, InputError, NotFoundError } from '../../errors.js'
import type { RolloutCommand } from '../../engine/commands.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { SourceFile } from '../../manifests/rollout-set.js'
import { KANARI_VERSION } from '../../version.js'
import { StateStore } from '../store/index.js'
import { Supervisor } from '../supervisor/index.js'
import { applyManifests, type AppliedRollout, type ApplyHost } from './apply.js'
import { ApiRouter } from './http-api.js'
import { apiInfoPath, writeApiInfo } from './paths.js'
import { RolloutController, replicaSetKey } from './rollout-controller.js'
import { setEnvEdit, undoEdit } from './rollout-edits.js'
import { controllerConfig, type StoredSpec } from './stored-rollout.js'
import { describe, listEntry, prometheusText, type RolloutView, type ViewSources } from './views.js'

export type { RolloutView } from './views.js'

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

export class Daemon implements ApplyHost, ViewSources {
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
      const status = stored.status as RolloutStatus
      await this.startController(stored.name, stored.spec as StoredSpec, stored.revision, status)
      this.#log(`resumed rollout ${stored.name} at revision ${stored.revision} (${status.phase})`)
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

  async startController(
    name: string,
    spec: StoredSpec,
    revision: number,
    status: RolloutStatus,
  ): Promise<void> {
    const controller = new RolloutController(
      { store: this.store, supervisor: this.supervisor, log: this.#log, now: () => Date.now() },
      { ...controllerConfig(this.store, name, spec, revision), status },
    )
    this.controllers.set(name, controller)
    await controller.start(this.#tickMs)
  }

  /** The controller of `name`; a NotFoundError that lists the known rollouts if there is none. */
  controller(name: string): RolloutController {
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

  /** Applies Rollouts (and their AnalysisTemplates): a changed workload makes a new revision. */
  apply(files: SourceFile[], baseDir: string): Promise<AppliedRollout[]> {
    return applyManifests(this, files, baseDir)
  }

  describe(name: string, eventLimit = 200): RolloutView {
    return describe(this, name, eventLimit)
  }

  /** Stops a rollout's controller and proxy, removes its replicas, and forgets it. */
  async deleteRollout(name: string): Promise<void> {
    const c = this.controller(name)
    await c.stop(2000)
    this.controllers.delete(name)
    for (const set of this.supervisor.list())
      if (set.key.startsWith(`${name}@`)) await this.supervisor.remove(set.key)
    this.store.deleteRollout(name)
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
        await this.controller(req.params.name ?? '').command(command)
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
        Promise.resolve({ items: [...this.controllers.values()].map(listEntry) }),
      )
      .on('GET', '/api/v1/rollouts/:name', (req) =>
        Promise.resolve(
          this.describe(req.params.name ?? '', Number(req.query.get('events') ?? 200)),
        ),
      )
      .on('GET', '/api/v1/rollouts/:name/events', (req) => {
        this.controller(req.params.name ?? '')
        const since = Number(req.query.get('since') ?? 0)
        return Promise.resolve({
          items: this.store.events(req.params.name ?? '', { sinceId: since, limit: 500 }),
        })
      })
      .on('GET', '/api/v1/rollouts/:name/logs', (req) => {
        const c = this.controller(req.params.name ?? '')
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
        const phase = this.controller(name).status.phase
        const body = (req.body ?? {}) as { toRevision?: unknown }
        const toRevision = typeof body.toRevision === 'number' ? body.toRevision : undefined
        const edit = undoEdit(this.store, name, phase, toRevision)
        return { results: await this.apply(edit.files, edit.baseDir) }
      })
      .on('POST', '/api/v1/rollouts/:name/env', async (req) => {
        const name = req.params.name ?? ''
        this.controller(name)
        const body = (req.body ?? {}) as { set?: unknown; unset?: unknown }
        const set: Record<string, string> = {}
        for (const [k, v] of Object.entries((body.set ?? {}) as Record<string, unknown>))
          set[k] = String(v)
        const unset = Array.isArray(body.unset) ? (body.unset as unknown[]).map(String) : []
        const edit = setEnvEdit(this.store, name, set, unset)
        return { results: await this.apply(edit.files, edit.baseDir) }
      })
      .on('DELETE', '/api/v1/rollouts/:name', async (req) => {
        const name = req.params.name ?? ''
        await this.deleteRollout(name)
        return { deleted: name }
      })
      .on('POST', '/api/v1/shutdown', () => {
        setImmediate(
          () => void this.stop({ keepReplicas: false }).then(() => this.options.onStopped?.()),
        )
        return Promise.resolve({ stopping: true, pid: process.pid })
      })
      .on('GET', '/metrics', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        res.end(prometheusText(this.controllers.values()))
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
