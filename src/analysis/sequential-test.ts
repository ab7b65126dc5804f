/**
 * The statistics of the sequential judge: a one-sided test that a Bernoulli rate is above p0, as a
 * mixture of likelihood ratios over a fixed set of alternatives. The mixture is a nonnegative
 * supermartingale under the null, so by Ville's inequality rejecting when it reaches 1/alpha keeps
 * the false-rejection rate at or below alpha at any stopping time — it can be checked after every
 * request without inflating alpha. 1/LR is the matching always-valid p-value.
 */

/** Alternatives as odds ratios against p0; a discrete prior with equal weights. */
const ODDS_RATIOS = [1.5, 2, 3, 5, 10, 30]

/**
 * Log of the mixture likelihood ratio for `k` successes in `n` trials against H0: p <= p0.
 * 0 when there is nothing to test (n = 0 or p0 outside (0, 1)).
 */
export function logMixtureLikelihoodRatio(k: number, n: number, p0: number): number {
  if (n <= 0 || !(p0 > 0 && p0 < 1)) return 0
  const logs = ODDS_RATIOS.map((r) => {
    const odds = (r * p0) / (1 - p0)
    const p1 = odds / (1 + odds)
    return k * Math.log(p1 / p0) + (n - k) * Math.log((1 - p1) / (1 - p0))
  })
  const top = Math.max(...logs)
  return top + Math.log(logs.reduce((s, l) => s + Math.exp(l - top), 0) / logs.length)
}

/** The always-valid p-value for a log likelihood ratio. */
export function pValue(logLR: number): number {
  return Math.min(1, Math.exp(-logLR))
}

export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001'
  if (p >= 0.995) return 'p = 1'
  return `p = ${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`
}

/** Alpha for segment k (1-based) out of an unbounded series: sums to at most `alpha`. */
export function segmentAlpha(alpha: number, segment: number): number {
  return alpha / (segment * (segment + 1))
}
