/**
 * What the daemon shows of its rollouts: the full view `kanari get` renders, the `kanari list`
 * rows, the latest release's events, and the Prometheus text of every rollout's proxy.
 */
import { renderSummary } from '../../diagnosis/render.js'
import { startsRelease, type EngineEvent } from '../../engine/events.js'
import type { RolloutStatus } from '../../engine/status.js'
import { processTable } from '../../report/process-table.js'
import { backendId } from '../proxy/backend-id.js'
import type { StateStore } from '../store/index.js'
import type { Supervisor } from '../supervisor/index.js'
import { VIEW_EVENTS } from './api/limits.js'
import type { RolloutListEntry, RolloutView } from './api/schemas.js'
import { replicaSetKey, type RolloutController } from './rollout-controller.js'
import { storedRevisionOutcomes } from './rollout-edits.js'
import { defaultUndoRevision } from './undo-target.js'

/** What views read: the store, the supervisor, and the controller of a rollout by name. */
export interface ViewSources {
  readonly store: StateStore
  readonly supervisor: Supervisor
  /** The running controller of `name`; throws NotFoundError if there is none. */
  controller(name: string): RolloutController
}

export function serviceUrl(c: RolloutController): string {
  return `http://127.0.0.1:${c.servicePort}`
}

export function describe(sources: ViewSources, name: string, eventLimit = 200): RolloutView {
  const c = sources.controller(name)
  const stored = sources.store.rollouts.get(name)
  const events = sources.store.events.list(name, { limit: eventLimit })
  const status = c.status
  const versions = Object.keys({
    ...status.replicas,
    ...(status.stableRevision === null ? {} : { [status.stableRevision]: 0 }),
    ...(status.canaryRevision === null ? {} : { [status.canaryRevision]: 0 }),
  })
    .map(Number)
    .sort((a, b) => a - b)
    .map((revision) => {
      const set = sources.supervisor.status(replicaSetKey(name, revision))
      const role =
        revision === status.stableRevision
          ? 'stable'
          : revision === status.canaryRevision
            ? 'canary'
            : 'old'
      const traffic = c.proxy?.traffic.totals(backendId(revision))
      return {
        revision,
        role,
        desired: set?.desired ?? 0,
        ready: set?.ready ?? 0,
        restarts: set?.restarts ?? 0,
        crashLooping: set?.crashLooping ?? false,
        droppedLogBytes: set?.droppedLogBytes ?? 0,
        ...(set?.logDropReason === undefined ? {} : { logDropReason: set.logDropReason }),
        requests: traffic?.requests ?? 0,
        errors: traffic?.errors ?? 0,
        pids: (set?.replicas ?? []).flatMap((r) => (r.pid === null ? [] : [r.pid])),
      }
    })
  const release = releaseEvents(events)
  const diagnosis = rollbackDiagnosis(c, status)
  return {
    name,
    revision: stored?.revision ?? 0,
    serviceUrl: serviceUrl(c),
    ...(c.proxyPid === undefined ? {} : { proxyPid: c.proxyPid }),
    status,
    plan: c.plan,
    versions,
    daemon: sources.store.writeHealth(),
    events: events.slice(-VIEW_EVENTS),
    processTable: processTable(release),
    notifications: c.notifications,
    ...(diagnosis === undefined ? {} : { diagnosis }),
    undo: undoChoices(sources.store, name, stored?.revision ?? 0, status.stableRevision),
  }
}

function undoChoices(
  store: StateStore,
  name: string,
  current: number,
  stableRevision: number | null,
): RolloutView['undo'] {
  const outcomes = storedRevisionOutcomes(store, name, stableRevision)
  return {
    defaultRevision: defaultUndoRevision(outcomes, current) ?? null,
    revisions: outcomes.map(({ revision, outcome }) => ({ revision, outcome })),
  }
}

/** After a rollback, the rolled-back revision's stored report in brief. */
function rollbackDiagnosis(c: RolloutController, status: RolloutStatus): RolloutView['diagnosis'] {
  const last = status.lastOutcome
  if (status.phase !== 'RolledBack' || last?.result !== 'RolledBack') return undefined
  const stored = c.diagnoser.stored(last.revision)
  if (stored === undefined) return undefined
  const a = stored.advisor
  return {
    revision: stored.revision,
    summary: renderSummary(stored.report),
    advisor:
      a === null
        ? null
        : a.status === 'answered'
          ? `${a.advice.verdict} (confidence ${a.advice.confidence}): ${a.advice.explanation}`
          : `unavailable — ${a.reason}`,
  }
}

/** One row of `kanari list`. */
export function listEntry(c: RolloutController): RolloutListEntry {
  const s = c.status
  const strategy = c.plan.strategy
  return {
    name: c.name,
    phase: s.phase,
    message: s.message,
    stableRevision: s.stableRevision,
    canaryRevision: s.canaryRevision,
    canaryWeight: s.traffic.canaryWeight,
    stableWeight: s.stableRevision === null ? 0 : 100 - s.traffic.canaryWeight,
    stepIndex: s.currentStepIndex,
    stepCount: strategy.kind === 'canary' ? strategy.steps.length : 0,
    serviceUrl: serviceUrl(c),
  }
}

/**
 * `GET /api/v1/prometheus/targets`: one target group per rollout proxy with a metrics listener. The
 * rollout is a meta label: the proxy's series carry their own `rollout` label, which a target label
 * of the same name would rename.
 */
export function prometheusTargets(
  controllers: Iterable<RolloutController>,
): { targets: string[]; labels: Record<string, string> }[] {
  return [...controllers].flatMap((c) => {
    const target = c.metricsTarget
    return target === undefined
      ? []
      : [{ targets: [target], labels: { __meta_kanari_rollout: c.name } }]
  })
}

/** The events of the latest release: from the last event that started one. */
export function releaseEvents<E extends EngineEvent>(events: E[]): E[] {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]
    if (e !== undefined && startsRelease(e)) return events.slice(i)
  }
  return []
}
