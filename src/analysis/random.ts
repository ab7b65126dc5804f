/** Seeded randomness for simulations and tests: the same seed gives the same sequence. */

/** A small, fast 32-bit PRNG (mulberry32) returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A draw from Binomial(n, p): exact for small n, normal approximation (clamped) for large n. */
export function sampleBinomial(random: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0
  if (p >= 1) return n
  if (n < 200) {
    let k = 0
    for (let i = 0; i < n; i++) if (random() < p) k++
    return k
  }
  const u = 1 - random()
  const v = random()
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))))
}
