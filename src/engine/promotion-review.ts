/**
 * The opt-in review of a canary's automatic promotion by an advisor (RolloutPlan.advisorGate): asked
 * once all steps have passed, waited for at most its timeout, and then either nothing happens (it
 * agrees, or has no answer) or the promotion becomes a pause for a person (it disagrees). The review
 * can only hold a promotion: rollbacks are decided before it is consulted, and it never promotes.
 */
import type { Tick } from './tick.js'

/** Seconds a promotion may wait for its review (for the progress deadline); 0 without a gate. */
export function reviewSeconds(t: Tick): number {
  return t.plan.advisorGate?.timeoutSeconds ?? 0
}

/** True while the review holds the promotion back: waiting for it, or paused by its disagreement. */
export function reviewHolds(t: Tick): boolean {
  const gate = t.plan.advisorGate
  const s = t.status
  const revision = s.canaryRevision
  if (gate === undefined || revision === null) return false
  // A review belongs to one run of the steps: a retry of the same revision is reviewed again.
  let review =
    s.review?.revision === revision && s.review.askedAt >= s.rolloutStartedAt ? s.review : undefined
  if (review === undefined) {
    review = { revision, askedAt: t.now, outcome: null, summary: '', settled: false }
    s.review = review
    t.measures.push({ type: 'review', revision, timeoutSeconds: gate.timeoutSeconds })
    s.message = `all steps passed; waiting up to ${gate.timeoutSeconds}s for the advisor's review before promoting`
    return true
  }
  if (review.settled) return false
  if (review.outcome === null) {
    const answer = t.obs.reviews?.find((r) => r.revision === revision)
    if (answer !== undefined) {
      review.outcome = answer.outcome
      review.summary = answer.summary
    } else if (t.now - review.askedAt >= gate.timeoutSeconds * 1000) {
      review.outcome = 'unavailable'
      review.summary = `no review within ${gate.timeoutSeconds}s`
    } else {
      const left = Math.ceil((review.askedAt + gate.timeoutSeconds * 1000 - t.now) / 1000)
      s.message = `all steps passed; waiting for the advisor's review before promoting (${left}s left)`
      return true
    }
  }
  review.settled = true
  const paused = review.outcome === 'disagree'
  const said =
    review.outcome === 'agree'
      ? 'the advisor agrees with promoting'
      : review.outcome === 'disagree'
        ? 'the advisor does not agree with promoting'
        : 'the advisor is unavailable; promoting by the statistics'
  t.emit(
    paused ? 'warn' : 'info',
    { reason: 'PromotionReviewed', outcome: review.outcome, summary: review.summary, paused },
    `${said} revision ${revision}${review.summary === '' ? '' : `: ${review.summary}`}`,
  )
  if (!paused) return false
  t.pauseFor(
    'AdvisorDisagreed',
    'AdvisorDisagreed',
    `paused before promoting revision ${revision}: the advisor disagrees (${review.summary}) — \`kanari promote ${t.plan.name}\` to go on, \`kanari abort ${t.plan.name}\` to roll back`,
  )
  return true
}
