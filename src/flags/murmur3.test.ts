import { describe, expect, it } from 'vitest'
import { bucketOf, murmur3 } from './murmur3.js'
import vectors from './testdata/murmur3-buckets.json' with { type: 'json' }

// testdata/murmur3-buckets.json was computed by running flagd's own hashing (Go,
// github.com/twmb/murmur3 v1.1.8 StringSum32, as core/pkg/evaluator/fractional.go calls it) and its
// bucket formula `(uint64(hash) * totalWeight) >> 32` over these keys, ASCII and not.
describe('murmur3 x86_32 over UTF-8, seed 0', () => {
  it.each(vectors.map((v) => [JSON.stringify(v.key), v] as const))(
    'hashes %s as flagd does',
    (_, v) => {
      expect(murmur3(v.key)).toBe(v.hash)
    },
  )

  it.each(vectors.map((v) => [JSON.stringify(v.key), v] as const))(
    'buckets %s as flagd does for every total weight',
    (_, v) => {
      for (const [weight, bucket] of Object.entries(v.buckets))
        expect(bucketOf(v.hash, Number(weight)), `total ${weight}`).toBe(bucket)
    },
  )

  it('covers non-ASCII keys of every UTF-8 length', () => {
    const lengths = new Set(
      vectors.flatMap((v) => Array.from(v.key, (c) => Buffer.byteLength(c, 'utf8'))),
    )
    expect([...lengths].sort()).toEqual([1, 2, 3, 4])
  })

  it('hashes a lone surrogate as U+FFFD, as decoding it from JSON gives', () => {
    expect(murmur3('a\ud800b')).toBe(murmur3('a\ufffdb'))
  })

  it('agrees with the bucket formula at the edges of the hash range', () => {
    const exact = (h: number, w: number) => Number((BigInt(h) * BigInt(w)) >> 32n)
    for (const h of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 0xdeadbeef])
      for (const w of [1, 2, 100, 10_000, 2 ** 31 - 1]) expect(bucketOf(h, w)).toBe(exact(h, w))
  })
})
