/**
 * Blue-green: the new revision comes up beside the active one as a preview (reachable by header,
 * optionally mirrored live traffic), is analysed, then takes all traffic at once. The old revision
 * stays up for `scaleDownDelaySeconds` so a failed post-promotion analysis can switch straight back.
 */
import type { BlueGreenPlan } from '../plan.js'
import { PREVIEW_HEADER, Tick } from '../tick.js'
import { currentRun, runLabel, startRun } from '../analysis-runs.js'
import { beforeFirstTraffic, passGate } from '../webhook-gates.js'
import { rolloutHooksHold } from '../webhook-lifecycle.js'
import { waitingCause } from '../workload-problems.js'

function previewReplicas(t: Tick, strategy: BlueGreenPlan): number {
  return Math.min(t.plan.replicas, strategy.previewReplicaCount ?? t.plan.replicas)
}

export function startBlueGreen(t: Tick, strategy: BlueGreenPlan): void {
  const s = t.status
  s.currentStepIndex = 0
  s.blueGreenStage = 'Preview'
  s.stepStartedAt = t.now
  s.readySince = null
  s.analyses.step = null
  s.analyses.background = null
  if (s.canaryRevision !== null) t.setReplicas(s.canaryRevision, previewReplicas(t, strategy))
  s.traffic.headerRoutes = []
  s.traffic.mirror = null
}

/** Once the preview is ready: route the preview header to it and start mirroring, if asked. */
function openPreview(t: Tick, strategy: BlueGreenPlan): void {
  const s = t.status
  s.traffic.headerRoutes = t.plan.routerCapabilities.headerRoutes
    ? [{ name: 'preview', match: [{ headerName: PREVIEW_HEADER, headerValue: { exact: 'true' } }] }]
    : []
  s.traffic.mirror =
    strategy.previewMirrorPercentage !== undefined &&
    strategy.previewMirrorPercentage > 0 &&
    t.plan.routerCapabilities.mirror
      ? { name: 'preview', percentage: strategy.previewMirrorPercentage, match: [] }
      : null
  const reach = [
    ...(s.traffic.headerRoutes.length > 0 ? [`header ${PREVIEW_HEADER}: true`] : []),
    ...(s.traffic.mirror !== null ? [`a copy of ${s.traffic.mirror.percentage}% of requests`] : []),
  ]
  t.emit(
    'info',
    {
      reason: 'PreviewReady',
      previewHeader: s.traffic.headerRoutes.length > 0 ? PREVIEW_HEADER : null,
      mirrorPercentage: s.traffic.mirror?.percentage ?? null,
    },
    `preview of revision ${s.canaryRevision ?? '?'} is ready${reach.length > 0 ? `; it gets ${reach.join(' and ')}` : ''}`,
  )
}

/** Runs a pre/post promotion analysis; returns its phase ('Successful' when there is none). */
function analysis(
  t: Tick,
  strategy: BlueGreenPlan,
  kind: 'prePromotion' | 'postPromotion',
): 'Running' | 'Successful' | 'Stopped' {
  const plan =
    kind === 'prePromotion' ? strategy.prePromotionAnalysis : strategy.postPromotionAnalysis
  if (plan === undefined || t.status.promoteFull) return 'Successful'
  let run = currentRun(t, kind, null)
  if (run === undefined) {
    run = startRun(t, plan)
    t.status.analyses.step = run
  }
  switch (run.phase) {
    case 'Running':
      t.status.message = `${runLabel(kind, null)}: ${run.message}`
      return 'Running'
    case 'Successful':
      return 'Successful'
    case 'Inconclusive':
      t.pauseFor(
        'Inconclusive',
        'AnalysisInconclusive',
        `${runLabel(kind, null)} inconclusive: ${run.message} — promote to go on, abort to roll back`,
      )
      return 'Stopped'
    case 'Failed':
    case 'Error':
      // Once traffic has switched, a failed post-promotion analysis always switches it back.
      t.analysisFailed(
        kind === 'prePromotion' ? plan : undefined,
        'AnalysisFailed',
        `${runLabel(kind, null)} ${run.phase.toLowerCase()}: ${run.message}`,
        strategy.scaleDownDelaySeconds,
      )
      return 'Stopped'
  }
  return 'Stopped'
}

export function progressBlueGreen(t: Tick, strategy: BlueGreenPlan): void {
  const s = t.status
  for (let guard = 0; guard < 8; guard++) {
    if (!t.inFlight() || t.holds(strategy.scaleDownDelaySeconds, 0)) return
    const canary = s.canaryRevision
    if (canary === null) return
    if (s.phase !== 'Promoting') {
      if (s.promoteFull) {
        t.transition('PromoteFull', 'switching to the new revision at once (--full)')
        s.stepStartedAt = t.now
        continue
      }
      const want = previewReplicas(t, strategy)
      const ready = t.version(canary).ready
      if (ready < want) {
        s.message = `waiting for preview replicas (${ready}/${want} ready)${waitingCause(t, canary)}`
        return
      }
      // pre-rollout webhooks run before the preview gets any request.
      if (!beforeFirstTraffic(t)) return
      if (s.readySince === null) {
        s.readySince = t.now
        openPreview(t, strategy)
      }
      if (s.blueGreenStage !== 'Approved') {
        const pre = analysis(t, strategy, 'prePromotion')
        if (pre !== 'Successful') return
        const hold = rolloutHooksHold(t)
        if (hold !== null) {
          s.message = hold
          return
        }
        if (!passGate(t, 'confirm-promotion', `switching traffic to revision ${canary}`)) return
        if (!strategy.autoPromotionEnabled) {
          t.pauseFor(
            'WaitingPromotion',
            'PauseStep',
            `preview of revision ${canary} is ready; waiting for \`kanari promote ${t.plan.name}\``,
          )
          return
        }
        const waitMs = (strategy.autoPromotionSeconds ?? 0) * 1000
        const left = s.readySince + waitMs - t.now
        if (left > 0) {
          s.message = `preview ready; promoting automatically in ${Math.ceil(left / 1000)}s`
          return
        }
        approvePreview(t, 'preview ready and analysed')
        s.deadlineReported = false
      }
      t.transition('StepsCompleted', `switching traffic to revision ${canary}`)
      s.stepStartedAt = t.now
      continue
    }
    // Promoting: full size, switch, post-promotion analysis, then the new revision is stable.
    t.setReplicas(canary, t.plan.replicas)
    const ready = t.version(canary).ready
    if (ready < t.plan.replicas && s.traffic.canaryWeight < 100) {
      s.message = `promoting: waiting for replicas of revision ${canary} (${ready}/${t.plan.replicas} ready)${waitingCause(t, canary)}`
      return
    }
    s.traffic.headerRoutes = []
    s.traffic.mirror = null
    t.setCanaryWeight(100)
    const post = analysis(t, strategy, 'postPromotion')
    if (post !== 'Successful') return
    t.finishPromotion(strategy.scaleDownDelaySeconds)
    return
  }
}

/** The preview passed (or the user promoted it): the next tick switches traffic to it. */
export function approvePreview(t: Tick, what: string): void {
  t.status.blueGreenStage = 'Approved'
  t.emit(
    'info',
    { reason: 'StepCompleted', step: { kind: 'previewApproved' } },
    `preview approved: ${what}`,
  )
}
