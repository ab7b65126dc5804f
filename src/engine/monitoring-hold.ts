/**
 * The release holds while its monitoring is unavailable: no step, no traffic change, no promotion
 * until the providers answer again (or their errors pass errorGracePeriod and the run errors).
 * Reported once when the hold begins and once when it ends.
 */
import { holdMessage, runOutages, type MetricOutage } from '../analysis/outage.js'
import { planForRun } from './analysis-runs.js'
import type { Tick } from './tick.js'

/** The longest outage among the running analyses of the current release, if any. */
export function currentOutage(t: Tick): { outage: MetricOutage; metrics: string[] } | undefined {
  const outages = [t.status.analyses.background, t.status.analyses.step].flatMap((run) => {
    if (run?.phase !== 'Running' || run.revision !== t.status.revision) return []
    const plan = planForRun(t, run)
    return plan === undefined ? [] : runOutages(plan, run)
  })
  const first = [...outages].sort((a, b) => a.since - b.since)[0]
  if (first === undefined) return undefined
  return { outage: first, metrics: [...new Set(outages.map((o) => o.metric))] }
}

/**
 * True when the strategy must stay where it is because monitoring is unavailable. `promote --full`
 * goes past it (the user chose to skip analysis). A pause keeps its own message.
 */
export function holdsForMonitoring(t: Tick): boolean {
  if (t.status.promoteFull) return false
  const held = currentOutage(t)
  if (held === undefined) return false
  if (t.status.phase !== 'Paused' || t.status.pause?.reason === 'Gate')
    t.status.message = `${holdMessage(held.outage, t.now)} (${held.outage.error})`
  return true
}

/**
 * Before the strategy moves: begins or ends the hold in the status, with one event each way, so
 * the step's clock gets the held time back before it is read. A hold that ends because a run ended
 * (past the grace, or by its own verdict) says nothing more: the rollback or pause that follows has
 * its own event.
 */
export function reportMonitoringHold(t: Tick): void {
  const s = t.status
  const held = t.inFlight() ? currentOutage(t) : undefined
  if (held !== undefined) {
    if (s.monitoringHold != null) {
      s.monitoringHold.metrics = held.metrics
      return
    }
    const { outage } = held
    s.monitoringHold = {
      since: outage.since,
      heldAt: t.now,
      metrics: held.metrics,
      graceSeconds: outage.graceSeconds,
    }
    t.emit(
      'warn',
      {
        reason: 'MonitoringUnavailable',
        metrics: held.metrics,
        since: outage.since,
        graceSeconds: outage.graceSeconds,
        error: outage.error,
      },
      `monitoring unavailable (${outage.error}): holding at ${s.traffic.canaryWeight}% for up to ${outage.graceSeconds} s; no promotion and no rollback meanwhile`,
    )
    return
  }
  const hold = s.monitoringHold ?? null
  if (hold === null) return
  s.monitoringHold = null
  const ended = [s.analyses.background, s.analyses.step].some(
    (run) => run?.revision === s.revision && run.endedAt === t.now && run.phase !== 'Successful',
  )
  if (!t.inFlight() || ended) return
  s.stepStartedAt = Math.min(t.now, s.stepStartedAt + (t.now - hold.heldAt))
  const unavailableSeconds = Math.round((t.now - hold.since) / 1000)
  t.emit(
    'info',
    { reason: 'MonitoringRestored', metrics: hold.metrics, unavailableSeconds },
    `monitoring back after ${unavailableSeconds} s (${hold.metrics.join(', ')}): going on from ${s.traffic.canaryWeight}%`,
  )
}

/** After the strategy moved: a release that ended (aborted, promoted, replaced) holds no more. */
export function endMonitoringHold(t: Tick): void {
  if (!t.inFlight() && t.status.monitoringHold != null) t.status.monitoringHold = null
}
