/**
 * The one-sided binomial tail P(X >= k) for X ~ Binomial(n, p): how surprising k canary lines of a
 * template are out of n lines of it in all, if the canary logged it at its expected share p.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms): about 15 significant digits. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x)
  const z = x - 1
  let a = c[0] as number
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

function lnChoose(n: number, k: number): number {
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1)
}

/** Standard normal upper tail, by the complementary error function (Numerical Recipes' erfc). */
function normalUpper(z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.5 * x)
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  const upper = y / 2
  return z >= 0 ? upper : 1 - upper
}

/** P(X >= k), X ~ Binomial(n, p). Exact up to n = 20000, a normal approximation beyond. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1
  if (k > n) return 0
  if (p <= 0) return 0
  if (p >= 1) return 1
  if (n > 20_000) {
    const mean = n * p
    const sd = Math.sqrt(n * p * (1 - p))
    return normalUpper((k - 0.5 - mean) / sd)
  }
  const lp = Math.log(p)
  const lq = Math.log1p(-p)
  let sum = 0
  for (let i = k; i <= n; i++) {
    const term = Math.exp(lnChoose(n, i) + i * lp + (n - i) * lq)
    sum += term
    // Past the mode the terms only shrink: stop once they no longer count.
    if (i > n * p && term < sum * 1e-16) break
  }
  return Math.min(1, sum)
}
