import { describe, expect, it } from 'vitest'
import { checkFlagDocument, type FlagDocument } from './definition.js'
import { FlagSet } from './flag-set.js'

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0)

function flags(doc: unknown): FlagSet {
  const checked = checkFlagDocument(doc)
  if (checked.document === undefined)
    throw new Error(`invalid: ${JSON.stringify(checked.problems)}`)
  return new FlagSet(checked.document)
}

const one = (flag: unknown, extra: Partial<FlagDocument> = {}) =>
  flags({ flags: { f: flag }, ...extra })
const colors = { red: 'red', green: 'green', blue: 'blue' }

describe('flag evaluation (flagd semantics)', () => {
  it('serves the default variant with STATIC when there is no targeting ({} counts as none)', () => {
    for (const targeting of [undefined, {}]) {
      const r = one({
        state: 'ENABLED',
        variants: colors,
        defaultVariant: 'green',
        targeting,
      }).evaluate('f', {}, NOW)
      expect(r).toMatchObject({ key: 'f', reason: 'STATIC', value: 'green', variant: 'green' })
    }
  })

  it('answers FLAG_NOT_FOUND for an unknown key', () => {
    const r = one({ state: 'ENABLED', variants: colors, defaultVariant: 'red' }).evaluate(
      'nope',
      {},
      NOW,
    )
    expect(r).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' })
    expect(r.value).toBeUndefined()
  })

  it('answers a disabled flag with reason DISABLED and no value, so the code default applies', () => {
    const r = one({
      state: 'DISABLED',
      variants: colors,
      defaultVariant: 'red',
      targeting: { if: [true, 'blue'] },
    }).evaluate('f', {}, NOW)
    expect(r.reason).toBe('DISABLED')
    expect(r.value).toBeUndefined()
    expect(r.variant).toBeUndefined()
    expect(r.errorCode).toBeUndefined()
  })

  it('uses the code default (DEFAULT, no value) without a default variant, null or absent', () => {
    for (const defaultVariant of [null, undefined]) {
      const set = one({ state: 'ENABLED', variants: colors, defaultVariant })
      expect(set.evaluate('f', {}, NOW)).toEqual({ key: 'f', reason: 'DEFAULT', metadata: {} })
      const targeted = one({
        state: 'ENABLED',
        variants: colors,
        defaultVariant,
        targeting: { if: [{ '==': [{ var: 'x' }, 1] }, 'red', null] },
      })
      expect(targeted.evaluate('f', { x: 1 }, NOW)).toMatchObject({
        reason: 'TARGETING_MATCH',
        value: 'red',
      })
      expect(targeted.evaluate('f', { x: 2 }, NOW)).toEqual({
        key: 'f',
        reason: 'DEFAULT',
        metadata: {},
      })
    }
  })

  it('serves a targeting match, and the default variant with DEFAULT when targeting answers null', () => {
    const set = one({
      state: 'ENABLED',
      variants: colors,
      defaultVariant: 'red',
      targeting: { if: [{ in: ['@example.com', { var: 'email' }] }, 'blue', null] },
    })
    expect(set.evaluate('f', { email: 'ann@example.com' }, NOW)).toMatchObject({
      reason: 'TARGETING_MATCH',
      variant: 'blue',
      value: 'blue',
    })
    expect(set.evaluate('f', { email: 'bob@other.org' }, NOW)).toMatchObject({
      reason: 'DEFAULT',
      variant: 'red',
      value: 'red',
    })
    expect(set.evaluate('f', {}, NOW)).toMatchObject({ reason: 'DEFAULT', variant: 'red' })
  })

  it('maps true and false to the variants named "true" and "false" (the boolean shorthand)', () => {
    const set = one({
      state: 'ENABLED',
      variants: { true: true, false: false },
      defaultVariant: 'false',
      targeting: { ends_with: [{ var: 'email' }, '@example.com'] },
    })
    expect(set.evaluate('f', { email: 'a@example.com' }, NOW)).toMatchObject({
      reason: 'TARGETING_MATCH',
      value: true,
      variant: 'true',
    })
    expect(set.evaluate('f', { email: 'a@b.c' }, NOW)).toMatchObject({
      reason: 'TARGETING_MATCH',
      value: false,
      variant: 'false',
    })
    // not a string: ends_with answers null, so the default variant
    expect(set.evaluate('f', { email: 7 }, NOW)).toMatchObject({ reason: 'DEFAULT', value: false })
  })

  it('answers GENERAL when targeting names no variant', () => {
    const r = one({
      state: 'ENABLED',
      variants: colors,
      defaultVariant: 'red',
      targeting: { if: [true, 'purple'] },
    }).evaluate('f', {}, NOW)
    expect(r).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' })
    expect(r.value).toBeUndefined()
  })

  it('answers PARSE_ERROR for an unknown operator, and the document is still served', () => {
    const checked = checkFlagDocument({
      flags: {
        bad: {
          state: 'ENABLED',
          variants: colors,
          defaultVariant: 'red',
          targeting: { if: [{ no_such_op: [1] }, 'blue', null] },
        },
        good: { state: 'ENABLED', variants: colors, defaultVariant: 'green' },
      },
    })
    expect(checked.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'flags.bad.targeting.if[0].no_such_op',
      }),
    ])
    const set = new FlagSet(checked.document ?? expect.fail('rejected'))
    expect(set.evaluate('bad', {}, NOW)).toMatchObject({
      reason: 'ERROR',
      errorCode: 'PARSE_ERROR',
    })
    expect(set.evaluate('good', {}, NOW)).toMatchObject({ reason: 'STATIC', value: 'green' })
  })

  it('resolves $ref to $evaluators, and answers PARSE_ERROR for a $ref to a missing evaluator', () => {
    const doc = {
      $evaluators: { isStaff: { ends_with: [{ var: 'email' }, '@kanari.dev'] } },
      flags: {
        ok: {
          state: 'ENABLED',
          variants: colors,
          defaultVariant: 'red',
          targeting: { if: [{ $ref: 'isStaff' }, 'blue', null] },
        },
        dangling: {
          state: 'ENABLED',
          variants: colors,
          defaultVariant: 'red',
          targeting: { if: [{ $ref: 'isAdmin' }, 'blue', null] },
        },
      },
    }
    const checked = checkFlagDocument(doc)
    expect(checked.problems).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'flags.dangling.targeting.if[0].$ref' }),
    ])
    const set = new FlagSet(checked.document ?? expect.fail('rejected'))
    expect(set.evaluate('ok', { email: 'x@kanari.dev' }, NOW)).toMatchObject({
      reason: 'TARGETING_MATCH',
      value: 'blue',
    })
    expect(set.evaluate('ok', { email: 'x@else.dev' }, NOW)).toMatchObject({
      reason: 'DEFAULT',
      value: 'red',
    })
    expect(set.evaluate('dangling', { email: 'x@kanari.dev' }, NOW)).toMatchObject({
      reason: 'ERROR',
      errorCode: 'PARSE_ERROR',
    })
  })

  it('merges flag-set metadata under the flag metadata (the flag wins), on every result', () => {
    const set = flags({
      metadata: { flagSetId: 'shop', version: 'v1', team: 'core' },
      flags: {
        f: {
          state: 'ENABLED',
          variants: colors,
          defaultVariant: 'red',
          metadata: { team: 'checkout', ticket: 42, beta: true },
        },
        g: { state: 'DISABLED', variants: colors, defaultVariant: 'red' },
      },
    })
    const want = { flagSetId: 'shop', version: 'v1', team: 'checkout', ticket: 42, beta: true }
    expect(set.evaluate('f', {}, NOW).metadata).toEqual(want)
    expect(set.evaluate('g', {}, NOW).metadata).toEqual({
      flagSetId: 'shop',
      version: 'v1',
      team: 'core',
    })
    expect(set.evaluate('missing', {}, NOW).metadata).toEqual({
      flagSetId: 'shop',
      version: 'v1',
      team: 'core',
    })
  })

  it('checks the requested type: TYPE_MISMATCH, integers truncated', () => {
    const set = flags({
      flags: {
        n: { state: 'ENABLED', variants: { low: 1.75, high: 10 }, defaultVariant: 'low' },
        o: { state: 'ENABLED', variants: { a: { size: 1 } }, defaultVariant: 'a' },
      },
    })
    expect(set.resolve('n', 'string', {}, NOW)).toMatchObject({
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    })
    expect(set.resolve('n', 'integer', {}, NOW)).toMatchObject({ reason: 'STATIC', value: 1 })
    expect(set.resolve('n', 'number', {}, NOW)).toMatchObject({ value: 1.75 })
    expect(set.resolve('o', 'object', {}, NOW)).toMatchObject({ value: { size: 1 } })
    expect(set.resolve('o', 'boolean', {}, NOW)).toMatchObject({ errorCode: 'TYPE_MISMATCH' })
  })

  it('gives targeting $flagd.flagKey and $flagd.timestamp (seconds), overriding the caller’s $flagd', () => {
    const set = flags({
      flags: {
        'key-flag': {
          state: 'ENABLED',
          variants: { yes: 'yes', no: 'no' },
          defaultVariant: 'no',
          targeting: { if: [{ '==': [{ var: '$flagd.flagKey' }, 'key-flag'] }, 'yes', 'no'] },
        },
        'time-flag': {
          state: 'ENABLED',
          variants: { before: 'before', after: 'after' },
          defaultVariant: 'before',
          targeting: {
            if: [{ '>=': [{ var: '$flagd.timestamp' }, NOW / 1000] }, 'after', 'before'],
          },
        },
      },
    })
    expect(set.evaluate('key-flag', { $flagd: { flagKey: 'other' } }, NOW).value).toBe('yes')
    expect(set.evaluate('time-flag', {}, NOW).value).toBe('after')
    expect(set.evaluate('time-flag', {}, NOW - 1000).value).toBe('before')
    expect(set.evaluate('time-flag', { $flagd: { timestamp: 9e12 } }, NOW - 1000).value).toBe(
      'before',
    )
  })

  it('lists every flag in a bulk evaluation, disabled and code-default ones included', () => {
    const set = flags({
      flags: {
        a: { state: 'ENABLED', variants: colors, defaultVariant: 'red' },
        b: { state: 'DISABLED', variants: colors, defaultVariant: 'red' },
        c: { state: 'ENABLED', variants: colors, defaultVariant: null },
      },
    })
    expect(set.evaluateAll({}, NOW).map((r) => [r.key, r.reason])).toEqual([
      ['a', 'STATIC'],
      ['b', 'DISABLED'],
      ['c', 'DEFAULT'],
    ])
  })
})

describe('fractional', () => {
  const suits = {
    clubs: 'clubs',
    diamonds: 'diamonds',
    hearts: 'hearts',
    spades: 'spades',
    wild: 'wild',
  }
  const quarter = (bucketBy: unknown) => ({
    state: 'ENABLED',
    variants: suits,
    defaultVariant: 'wild',
    targeting: {
      fractional: [bucketBy, ['clubs', 25], ['diamonds', 25], ['hearts', 25], ['spades', 25]],
    },
  })

  // Expected values are those of flagd's conformance suite (flagd-testbed v3.9.0, @fractional-v2).
  it.each([
    ['jack', 'hearts'],
    ['queen', 'spades'],
    ['ten', 'clubs'],
    ['nine', 'diamonds'],
    ['3', 'clubs'],
  ])('buckets user.name %s by flag key + name into %s', (name, want) => {
    const set = flags({
      flags: {
        'fractional-flag': quarter({ cat: [{ var: '$flagd.flagKey' }, { var: 'user.name' }] }),
      },
    })
    expect(set.evaluate('fractional-flag', { user: { name } }, NOW)).toMatchObject({
      reason: 'TARGETING_MATCH',
      value: want,
    })
  })

  it.each([
    ['seven', 'hearts'],
    ['eight', 'diamonds'],
    ['nine', 'clubs'],
    ['two', 'spades'],
  ])('buckets a shared seed the same in any flag: %s → %s', (name, want) => {
    const rule = quarter({ cat: ['shared-seed', { var: 'user.name' }] })
    const set = flags({ flags: { a: rule, b: rule } })
    expect(set.evaluate('a', { user: { name } }, NOW).value).toBe(want)
    expect(set.evaluate('b', { user: { name } }, NOW).value).toBe(want)
  })

  it('uses flag key + targetingKey in the shorthand, and the default variant without a targeting key', () => {
    const set = flags({
      flags: {
        'fractional-flag-shorthand': {
          state: 'ENABLED',
          variants: { heads: 'heads', tails: 'tails', draw: 'draw' },
          defaultVariant: 'draw',
          targeting: { fractional: [['heads'], ['tails', 1]] },
        },
      },
    })
    const f = (ctx: Record<string, unknown>) => set.evaluate('fractional-flag-shorthand', ctx, NOW)
    expect(f({ targetingKey: 'jon@company.com' }).value).toBe('heads')
    expect(f({ targetingKey: 'jane@company.com' }).value).toBe('tails')
    expect(f({})).toMatchObject({ reason: 'DEFAULT', value: 'draw' })
    expect(f({ targetingKey: '' })).toMatchObject({ reason: 'DEFAULT', value: 'draw' })
    expect(f({ targetingKey: 5 })).toMatchObject({ reason: 'DEFAULT', value: 'draw' })
  })

  it.each([
    ['ejOoVL', 'lower'],
    ['bY9fO-', 'lower'],
    ['SI7p-', 'lower'],
    ['6LvT0', 'upper'],
    ['ceQdGm', 'upper'],
  ])('splits the hash range exactly at its edges: %s → %s', (key, want) => {
    const set = flags({
      flags: {
        edge: {
          state: 'ENABLED',
          variants: { lower: 'lower', upper: 'upper' },
          defaultVariant: 'lower',
          targeting: { fractional: [{ var: 'targetingKey' }, ['lower', 50], ['upper', 50]] },
        },
      },
    })
    expect(set.evaluate('edge', { targetingKey: key }, NOW).value).toBe(want)
  })

  it('buckets non-ASCII keys by their UTF-8 bytes, as flagd (Go) does', async () => {
    const { default: vectors } = await import('./testdata/murmur3-buckets.json', {
      with: { type: 'json' },
    })
    const set = flags({
      flags: {
        split: {
          state: 'ENABLED',
          variants: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`v${i}`, i])),
          defaultVariant: 'v0',
          targeting: {
            fractional: [{ var: 'id' }, ...Array.from({ length: 10 }, (_, i) => [`v${i}`, 1])],
          },
        },
      },
    })
    const nonAscii = vectors.filter((v) => Buffer.byteLength(v.key) !== v.key.length)
    expect(nonAscii.length).toBeGreaterThan(10)
    for (const v of nonAscii)
      expect(set.evaluate('split', { id: v.key }, NOW).variant, v.key).toBe(`v${v.buckets['10']}`)
  })

  it('takes variants and weights computed by JsonLogic (nested if, var, time ramps)', () => {
    const set = flags({
      flags: {
        nested: {
          state: 'ENABLED',
          variants: { premium: 'premium', standard: 'standard' },
          defaultVariant: 'standard',
          targeting: {
            fractional: [
              [{ if: [{ '==': [{ var: 'tier' }, 'premium'] }, 'premium', 'standard'] }, 1],
              ['standard', 0],
            ],
          },
        },
        ramp: {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {
            fractional: [
              ['on', { '-': [{ var: '$flagd.timestamp' }, NOW / 1000 - 100] }],
              ['off', { '-': [NOW / 1000 + 100, { var: '$flagd.timestamp' }] }],
            ],
          },
        },
      },
    })
    expect(set.evaluate('nested', { targetingKey: 'u', tier: 'premium' }, NOW).value).toBe(
      'premium',
    )
    expect(set.evaluate('nested', { targetingKey: 'u', tier: 'basic' }, NOW).value).toBe('standard')
    // Before the ramp starts the "on" weight is negative (clamped to 0); after it ends "off" is.
    const share = (at: number) => {
      let on = 0
      for (let i = 0; i < 2000; i++)
        if (set.evaluate('ramp', { targetingKey: `user-${i}` }, at).value === true) on++
      return on / 2000
    }
    expect(share(NOW - 200_000)).toBe(0)
    expect(share(NOW + 200_000)).toBe(1)
    expect(share(NOW)).toBeGreaterThan(0.4)
    expect(share(NOW)).toBeLessThan(0.6)
  })

  it('answers null (the default variant) for weights flagd refuses', () => {
    const withEntries = (...entries: unknown[]) =>
      one({
        state: 'ENABLED',
        variants: { a: 'a', b: 'b', d: 'd' },
        defaultVariant: 'd',
        targeting: { fractional: [{ var: 'targetingKey' }, ...entries] },
      })
    const r = (set: FlagSet) => set.evaluate('f', { targetingKey: 'someone' }, NOW)
    expect(r(withEntries(['a', 1.5], ['b', 1]))).toMatchObject({ reason: 'DEFAULT', value: 'd' })
    expect(r(withEntries(['a', 'ten'], ['b', 1]))).toMatchObject({ reason: 'DEFAULT', value: 'd' })
    expect(r(withEntries(['a', 2 ** 31], ['b', 1]))).toMatchObject({
      reason: 'DEFAULT',
      value: 'd',
    })
    expect(r(withEntries(['a', 2 ** 31 - 1], ['b', 1]))).toMatchObject({
      reason: 'DEFAULT',
      value: 'd',
    })
    expect(r(withEntries(['a', 0], ['b', 0]))).toMatchObject({ reason: 'DEFAULT', value: 'd' })
    expect(r(withEntries('a', ['b', 1]))).toMatchObject({ reason: 'DEFAULT', value: 'd' })
    expect(r(withEntries(['a', -5], ['b', 1]))).toMatchObject({
      reason: 'TARGETING_MATCH',
      value: 'b',
    })
    expect(r(withEntries(['a', null], ['b', 0]))).toMatchObject({
      reason: 'TARGETING_MATCH',
      value: 'a',
    })
    expect(r(withEntries(['a', 2 ** 31 - 2], ['b', 1]))).toMatchObject({
      reason: 'TARGETING_MATCH',
    })
  })

  it('only adds users to the first variant as its weight grows at a fixed total', () => {
    const at = (w: number) =>
      one({
        state: 'ENABLED',
        variants: { on: 'on', off: 'off' },
        defaultVariant: 'off',
        targeting: {
          fractional: [
            ['on', w],
            ['off', 10_000 - w],
          ],
        },
      })
    const users = Array.from({ length: 3000 }, (_, i) => `u${i}`)
    let before = new Set<string>()
    for (const w of [0, 100, 500, 2500, 5000, 10_000]) {
      const set = at(w)
      const on = new Set(
        users.filter((u) => set.evaluate('f', { targetingKey: u }, NOW).value === 'on'),
      )
      for (const u of before) expect(on.has(u)).toBe(true)
      expect(Math.abs(on.size / users.length - w / 10_000)).toBeLessThan(0.03)
      before = on
    }
  })
})

describe('sem_ver, starts_with, ends_with', () => {
  const cmpFlag = one({
    state: 'ENABLED',
    variants: { equal: 'equal', greater: 'greater', lesser: 'lesser', none: 'none' },
    defaultVariant: 'none',
    targeting: {
      if: [
        { sem_ver: [{ var: 'version' }, '=', '2.0.0'] },
        'equal',
        {
          if: [
            { sem_ver: [{ var: 'version' }, '>', '2.0.0'] },
            'greater',
            { if: [{ sem_ver: [{ var: 'version' }, '<', '2.0.0'] }, 'lesser', 'none'] },
          ],
        },
      ],
    },
  })
  it.each([
    ['2.0.0', 'equal'],
    ['2.1.0', 'greater'],
    ['1.9.0', 'lesser'],
    ['2.0.0-alpha', 'lesser'],
    ['2.0.0.0', 'none'],
    ['v2.0.0', 'equal'],
    ['2.0.0+build.7', 'equal'],
    ['2', 'equal'],
    ['02.0.0', 'none'],
  ])('%s against 2.0.0 → %s', (version, want) => {
    expect(cmpFlag.evaluate('f', { version }, NOW).value).toBe(want)
  })

  it('coerces numbers, and answers null for a bad version or operator', () => {
    const set = flags({
      flags: {
        n: {
          state: 'ENABLED',
          variants: { match: 'match', miss: 'miss', dflt: 'dflt' },
          defaultVariant: 'dflt',
          targeting: { if: [{ sem_ver: [{ var: 'v' }, '>=', '1.2.0'] }, 'match', 'miss'] },
        },
        op: {
          state: 'ENABLED',
          variants: { match: 'match', miss: 'miss', dflt: 'dflt' },
          defaultVariant: 'dflt',
          targeting: { sem_ver: [{ var: 'v' }, '===', '1.0.0'] },
        },
        args: {
          state: 'ENABLED',
          variants: { match: 'match', miss: 'miss', dflt: 'dflt' },
          defaultVariant: 'dflt',
          targeting: { sem_ver: [{ var: 'v' }, '='] },
        },
      },
    })
    expect(set.evaluate('n', { v: 1.2 }, NOW).value).toBe('match')
    expect(set.evaluate('n', { v: 2 }, NOW).value).toBe('match')
    expect(set.evaluate('n', { v: 1.1 }, NOW).value).toBe('miss')
    // sem_ver is null for a bad version: `if` takes null as false
    expect(set.evaluate('n', { v: 'not-a-version' }, NOW).value).toBe('miss')
    expect(set.evaluate('op', { v: '1.0.0' }, NOW)).toMatchObject({
      reason: 'DEFAULT',
      value: 'dflt',
    })
    expect(set.evaluate('args', { v: '1.0.0' }, NOW)).toMatchObject({
      reason: 'DEFAULT',
      value: 'dflt',
    })
  })

  it('starts_with and ends_with take exactly two strings', () => {
    const set = flags({
      flags: {
        s: {
          state: 'ENABLED',
          variants: { true: true, false: false },
          defaultVariant: 'false',
          targeting: { if: [{ starts_with: [{ var: 'id' }, 'abc'] }, 'true', 'false'] },
        },
        e: {
          state: 'ENABLED',
          variants: { yes: 'yes', no: 'no', d: 'd' },
          defaultVariant: 'd',
          targeting: { if: [{ ends_with: [{ var: 'id' }, 'xyz', 'extra'] }, 'yes', 'no'] },
        },
      },
    })
    expect(set.evaluate('s', { id: 'abcdef' }, NOW).value).toBe(true)
    expect(set.evaluate('s', { id: 'xabc' }, NOW).value).toBe(false)
    expect(set.evaluate('s', { id: 123 }, NOW).value).toBe(false)
    expect(set.evaluate('e', { id: 'wxyz' }, NOW).value).toBe('no')
  })
})
