/**
 * Differential test against `@openfeature/flagd-core` (flagd's TypeScript evaluator): the same
 * flags and contexts give the same values and variants. The one known difference is by design:
 * flagd-core hashes UTF-16 code units, flagd (Go) and Kanari hash UTF-8 bytes, so non-ASCII bucketing
 * keys may land elsewhere — Kanari agrees with flagd (murmur3.test.ts holds the Go vectors).
 */
import { FlagdCore } from '@openfeature/flagd-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkFlagDocument } from './definition.js'
import { FlagSet } from './flag-set.js'
import { propertyRuns } from '../test-utils/property-runs.js'
import vectors from './testdata/murmur3-buckets.json' with { type: 'json' }

const DOC = {
  $evaluators: { adult: { '>=': [{ var: 'age' }, 18] } },
  flags: {
    rule: {
      state: 'ENABLED',
      variants: { a: 'a', b: 'b', c: 'c' },
      defaultVariant: 'c',
      targeting: {
        if: [
          { and: [{ $ref: 'adult' }, { ends_with: [{ var: 'email' }, '@kanari.dev'] }] },
          'a',
          { in: [{ var: 'country' }, ['NL', 'DE']] },
          'b',
          null,
        ],
      },
    },
    split: {
      state: 'ENABLED',
      variants: { one: 1, two: 2, three: 3 },
      defaultVariant: 'one',
      targeting: {
        fractional: [
          ['one', 10],
          ['two', 30],
          ['three', 60],
        ],
      },
    },
    seeded: {
      state: 'ENABLED',
      variants: { x: 'x', y: 'y' },
      defaultVariant: 'x',
      targeting: { fractional: [{ cat: ['seed-', { var: 'email' }] }, ['x', 1], ['y', 1]] },
    },
    versions: {
      state: 'ENABLED',
      variants: { new: true, old: false },
      defaultVariant: 'old',
      targeting: { if: [{ sem_ver: [{ var: 'appVersion' }, '>=', '2.1.0'] }, 'new', 'old'] },
    },
  },
}

const ours = new FlagSet(checkFlagDocument(DOC).document ?? expect.fail('invalid'))
const theirs = new FlagdCore()
theirs.setConfigurations(JSON.stringify(DOC))
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

const ascii = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_@.'.split('')),
  maxLength: 20,
})
const context = fc.record({
  targetingKey: ascii,
  email: fc.oneof(
    ascii,
    ascii.map((s) => `${s}@kanari.dev`),
  ),
  age: fc.integer({ min: 0, max: 99 }),
  country: fc.constantFrom('NL', 'DE', 'US', 'JP'),
  appVersion: fc.constantFrom('1.9.9', '2.0.0', '2.1.0', '2.1.0-rc.1', '3.0.0', 'v2.2', 'bad'),
})

describe('Kanari and flagd-core evaluate alike', () => {
  it('for rules, $ref, sem_ver and fractional over ASCII keys', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        for (const key of Object.keys(DOC.flags)) {
          const a = ours.evaluate(key, ctx, Date.now())
          const type = typeof a.value
          const b =
            type === 'number'
              ? theirs.resolveNumberEvaluation(key, 0, ctx, quiet)
              : type === 'boolean'
                ? theirs.resolveBooleanEvaluation(key, false, ctx, quiet)
                : theirs.resolveStringEvaluation(key, '', ctx, quiet)
          expect({ key, value: a.value, variant: a.variant, reason: a.reason }).toEqual({
            key,
            value: b.value,
            variant: b.variant,
            reason: b.reason,
          })
        }
      }),
      propertyRuns(100),
    )
  })

  it('except non-ASCII bucketing keys, where Kanari follows flagd (UTF-8) and flagd-core does not', () => {
    const flagKey = 'split'
    let differ = 0
    for (const v of vectors.filter(
      (x) => Buffer.byteLength(x.key) !== x.key.length && !x.key.startsWith(flagKey),
    )) {
      const ctx = { targetingKey: v.key }
      const a = ours.evaluate(flagKey, ctx, Date.now()).value
      const b = theirs.resolveNumberEvaluation(flagKey, 0, ctx, quiet).value
      if (a !== b) differ++
    }
    // At least one of the non-ASCII keys lands elsewhere in flagd-core (the reason to evaluate ourselves).
    expect(differ).toBeGreaterThan(0)
  })
})
