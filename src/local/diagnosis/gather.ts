/**
 * Gathers a revision's evidence in local mode and builds its report: the window of its release from
 * the stored events, the analysis runs still in the status, the proxy's requests by method, path and
 * status for both revisions over that window, both revisions' log lines (by the logs' time index),
 * and both workloads as stored. What cannot be had is said in the report, not thrown.
 */
import type { AnalysisRunStatus } from '../../analysis/types.js'
import type { StoredEvent } from '../../controller/ports.js'
import { buildReport, type ReportInput } from '../../diagnosis/build-report.js'
import { toRecords } from '../../diagnosis/log-records.js'
import type { DiagnosisReport, DiagnosisTrigger, ReportOutcome } from '../../diagnosis/report.js'
import type { WorkloadShape } from '../../diagnosis/revision-change.js'
import type { AnalysisVerdictReason, EventOf } from '../../engine/events.js'
import type { RolloutStatus } from '../../engine/status.js'
import { ConflictError, NotFoundError } from '../../errors.js'
import { backendId } from '../proxy/backend-id.js'
import { replicaSetKey } from '../driver/process-workloads.js'
import type { ProxyHost } from '../proxy-host/host-process.js'
import type { StateStore } from '../store/index.js'
import type { LogWindow, Supervisor } from '../supervisor/index.js'

/** Bytes of one replica's log read for each part (window, before): the latest are kept. */
const LOG_BYTES_PER_REPLICA = 2 * 1024 * 1024
/** Records of one side fed to the log diff at most (the latest). */
const MAX_RECORDS = 40_000
/** How long the proxy keeps per-second counts. */
const PROXY_RING_MS = 15 * 60 * 1000

export interface GatherSources {
  name: string
  status: RolloutStatus
  store: StateStore
  supervisor: Supervisor
  proxy: ProxyHost | undefined
  /** Env variables the spec marks secret. */
  secretEnv: string[]
  now: number
}

const VERDICTS = new Set([
  'AnalysisSuccessful',
  'AnalysisFailed',
  'AnalysisError',
  'AnalysisInconclusive',
])

/** The window of a revision's release and how it ended, from the stored events. */
export function release(
  events: StoredEvent[],
  status: RolloutStatus,
  revision: number,
  now: number,
): {
  from: number
  to: number
  stableRevision: number | null
  outcome: ReportOutcome | null
  events: StoredEvent[]
} {
  let start = -1
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]
    if (e?.reason === 'NewRevision' && !e.first && e.revision === revision) {
      start = i
      break
    }
  }
  const inFlight = status.canaryRevision === revision && status.phase !== 'RolledBack'
  if (start < 0) {
    if (!inFlight && status.canaryRevision !== revision)
      throw new NotFoundError(`no release of revision ${revision} in the stored events`, {
        hint: 'diagnose a revision that was rolled out after the first (see `kanari get` for its revisions)',
      })
    return {
      from: status.rolloutStartedAt,
      to: now,
      stableRevision: status.stableRevision,
      outcome: null,
      events: [],
    }
  }
  const released = events[start] as EventOf<'NewRevision'>
  // A retry of the revision starts its steps over: the window is the latest run's.
  const retry = events.findLastIndex(
    (e, i) =>
      i > start && e.reason === 'Command' && e.command === 'retry' && e.revision === revision,
  )
  const first = events[retry < 0 ? start : retry] ?? released
  const rest = events.slice(retry < 0 ? start : retry)
  // A later release of another revision ends this one's window: an outcome after it is that
  // release's, never this revision's.
  const nextIndex = rest.findIndex((e, i) => i > 0 && e.reason === 'NewRevision')
  const next = nextIndex < 0 ? undefined : rest[nextIndex]
  const own = nextIndex < 0 ? rest : rest.slice(0, nextIndex)
  const end = own.find(
    (e) =>
      (((e.reason === 'RolledBack' || e.reason === 'Promoted') && e.revision === revision) ||
        (e.reason === 'Reverted' && e.droppedCanary === revision)) &&
      e.at >= first.at,
  )
  const to = end?.at ?? next?.at ?? now
  const outcome: ReportOutcome | null =
    end?.reason === 'RolledBack'
      ? {
          result: 'RolledBack',
          cause: end.cause,
          reason: end.explanation,
          at: end.at,
          canaryWeight: end.canaryWeight,
          stepIndex: end.stepIndex,
        }
      : end?.reason === 'Promoted'
        ? {
            result: 'Promoted',
            cause: null,
            reason: end.byUser ? 'promoted by user' : 'all steps passed',
            at: end.at,
            canaryWeight: end.canaryWeight,
            stepIndex: end.stepIndex,
          }
        : null
  return {
    from: first.at,
    to,
    stableRevision: released.stableRevision,
    outcome,
    events: rest.filter((e) => e.at <= to),
  }
}

function workloadOf(
  store: StateStore,
  name: string,
  revision: number | null,
): { revision: number; workload: WorkloadShape } | null {
  if (revision === null) return null
  const r = store.revisions.list(name).find((x) => x.revision === revision)
  const p = (
    r?.template as
      { process?: { command?: string[]; cwd?: string; env?: Record<string, unknown> } } | undefined
  )?.process
  if (r === undefined) return null
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(p?.env ?? {})) env[k] = String(v)
  return {
    revision,
    workload: {
      ...(p?.command === undefined ? {} : { command: p.command }),
      ...(p?.cwd === undefined ? {} : { cwd: p.cwd }),
      env,
    },
  }
}

function records(windows: LogWindow[], part: 'window' | 'before'): string[][] {
  const out = windows.flatMap((w) => toRecords(w[part]))
  return out.length > MAX_RECORDS ? out.slice(-MAX_RECORDS) : out
}

async function requests(
  proxy: ProxyHost | undefined,
  revision: number,
  stable: number | null,
  from: number,
  to: number,
  now: number,
): Promise<ReportInput['requests']> {
  if (proxy === undefined) return { unavailable: 'the proxy is not running' }
  if (now - from > PROXY_RING_MS)
    return {
      unavailable:
        'the release began more than 15 minutes ago; the proxy keeps 15 minutes of counts',
    }
  try {
    const [canary, stableCounts] = await Promise.all([
      proxy.breakdown(backendId(revision), from, to + 1000),
      stable === null ? Promise.resolve([]) : proxy.breakdown(backendId(stable), from, to + 1000),
    ])
    return { canary, stable: stableCounts }
  } catch (err) {
    return {
      unavailable: `the proxy could not say (${err instanceof Error ? err.message : String(err)}); a proxy started by an older Kanari counts no paths`,
    }
  }
}

/** Builds the report of `revision` from what local mode has kept of its release. */
export async function gatherReport(
  s: GatherSources,
  revision: number,
  trigger: DiagnosisTrigger,
): Promise<DiagnosisReport> {
  if (revision < 1) throw new ConflictError(`rollout ${s.name} has no revision ${revision}`)
  const events = s.store.events.list(s.name, { limit: 5000 })
  const r = release(events, s.status, revision, s.now)
  const runs = [s.status.analyses.background, s.status.analyses.step].filter(
    (run): run is AnalysisRunStatus =>
      run !== null && run.revision === revision && run.startedAt >= r.from,
  )
  const verdictEvents = r.events.filter(
    (e): e is StoredEvent & EventOf<AnalysisVerdictReason> =>
      VERDICTS.has(e.reason) && e.revision === revision,
  )
  const canaryLogs = s.supervisor.logWindows(
    replicaSetKey(s.name, revision),
    r.from,
    r.to + 1000,
    LOG_BYTES_PER_REPLICA,
  )
  const stableLogs =
    r.stableRevision === null
      ? []
      : s.supervisor.logWindows(
          replicaSetKey(s.name, r.stableRevision),
          r.from,
          r.to + 1000,
          LOG_BYTES_PER_REPLICA,
        )
  const logs: ReportInput['logs'] =
    canaryLogs.length === 0
      ? {
          unavailable: `no log files of revision ${revision} (its replicas wrote none, or they were removed)`,
        }
      : {
          canary: records(canaryLogs, 'window'),
          stable: records(stableLogs, 'window'),
          stableBefore: records(stableLogs, 'before'),
          windowed: [...canaryLogs, ...stableLogs].every((w) => w.windowed),
          canaryReplicas: canaryLogs.filter((w) => w.window.length > 0).length,
          stableReplicas: stableLogs.filter((w) => w.window.length > 0).length,
        }
  return buildReport({
    rollout: s.name,
    revision,
    stableRevision: r.stableRevision,
    trigger,
    now: s.now,
    window: { from: r.from, to: r.to },
    outcome: r.outcome,
    runs,
    verdictEvents,
    requests: await requests(s.proxy, revision, r.stableRevision, r.from, r.to, s.now),
    logs,
    workloads: {
      from: workloadOf(s.store, s.name, r.stableRevision),
      to: workloadOf(s.store, s.name, revision),
    },
    secretEnv: s.secretEnv,
  })
}
