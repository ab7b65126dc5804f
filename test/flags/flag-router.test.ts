/**
 * The flag rollout's router against a real flag store (SQLite in a temporary directory): the shared
 * TrafficRouter contract, and the flag read back from the store itself, so a hand edit of the flag
 * shows as drift the runner puts right.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runTrafficRouterContract } from '../../src/controller/test-utils/traffic-router-contract.js'
import { FlagRouter } from '../../src/local/driver/flag-rollout-ports.js'
import { FlagService } from '../../src/local/flags/flag-service.js'

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-flag-router-'))
  const flags = new FlagService({ stateDir: dir, log: () => undefined })
  flags.setFlag(
    'f',
    { state: 'ENABLED', variants: { one: 1, two: 2, three: 3 }, defaultVariant: 'one' },
    'test',
  )
  const variants = new Map([
    [1, 'one'],
    [2, 'two'],
    [3, 'three'],
  ])
  const router = new FlagRouter(
    flags,
    'f',
    (r) => (r === null ? undefined : variants.get(r)),
    'rollout/test',
  )
  return {
    flags,
    router,
    close: () => {
      flags.close()
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  }
}

runTrafficRouterContract('flag split', () => Promise.resolve(fixture()))

describe('the flag router', () => {
  it('writes the split into the flag and sees a hand edit as drift', async () => {
    const { flags, router, close } = fixture()
    try {
      const traffic = {
        stableRevision: 1,
        canaryRevision: 2,
        canaryWeight: 25,
        headerRoutes: [],
        mirror: null,
      }
      await router.apply(traffic)
      expect(flags.flagSet.definition('f')).toMatchObject({
        defaultVariant: 'one',
        targeting: {
          fractional: [
            ['two', 2500],
            ['one', 7500],
          ],
        },
      })
      const users = Array.from({ length: 4000 }, (_, i) => ({ targetingKey: `u${i}` }))
      const share =
        users.filter((u) => flags.flagSet.evaluate('f', u, Date.now()).value === 2).length /
        users.length
      expect(share).toBeGreaterThan(0.22)
      expect(share).toBeLessThan(0.28)
      expect(await router.verify()).toEqual(traffic)
      flags.setFlag(
        'f',
        { state: 'ENABLED', variants: { one: 1, two: 2, three: 3 }, defaultVariant: 'three' },
        'someone',
      )
      expect(await router.verify()).not.toEqual(traffic)
      await router.apply(traffic)
      expect(await router.verify()).toEqual(traffic)
      expect(flags.audit({ key: 'f' }).map((e) => e.actor)).toEqual([
        'test',
        'rollout/test',
        'someone',
        'rollout/test',
      ])
    } finally {
      await close()
    }
  })
})
