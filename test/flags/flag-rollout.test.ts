/**
 * Flag rollouts end to end over real HTTP: the demo app (a real process) asks the daemon for a flag
 * over OFREP on every /checkout and reports each outcome with its variant; a Rollout whose workload
 * is that flag widens the new variant's share step by step. Healthy, it is promoted (everyone gets
 * the new variant); when users in the new variant fail, the analysis rolls it back and the flag is
 * turned back for everyone, with every change in the audit log.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Daemon } from '../../src/local/daemon/daemon.js'
import { readSplit } from '../../src/flags/index.js'
import { startDemoApp, stopAll, waitFor, type DemoApp } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-flag-rollout-'))
let daemon: Daemon

function flagRollout(name: string, key: string, variant: string): string {
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: ${name} }
spec:
  workload:
    flag: { key: ${key}, variant: "${variant}" }
  strategy:
    canary:
      steps: [{ setWeight: 20 }, { analysis: { duration: 4s } }, { setWeight: 50 }, { analysis: { duration: 4s } }]
  analysis:
    interval: 1s
    minCanaryRequests: 20
    metrics: [{ name: error-rate, thresholdRange: { max: 5 } }]
`
}

async function apply(text: string): Promise<void> {
  const results = await daemon.apply([{ name: 'rollout.yaml', text }], stateDir)
  expect(results).toHaveLength(1)
}

/** Sends /checkout requests from many users until `until` holds (bounded: at most 90 s). */
async function loadUntil(
  app: DemoApp,
  until: () => boolean,
  what: string,
): Promise<{ sent: number; failed: number }> {
  const deadline = Date.now() + 90_000
  let sent = 0
  let failed = 0
  const worker = async () => {
    while (!until() && Date.now() < deadline) {
      const res = await request(`http://127.0.0.1:${app.port}/checkout?user=user-${sent++ % 5000}`)
      await res.body.dump()
      if (res.statusCode >= 500) failed++
      await new Promise((r) => setTimeout(r, 5))
    }
  }
  await Promise.all([worker(), worker(), worker()])
  if (!until()) throw new Error(`load ran out of time waiting for ${what}`)
  return { sent, failed }
}

const phase = (name: string) => daemon.controller(name).status.phase

beforeAll(async () => {
  daemon = await Daemon.start({ stateDir, apiPort: 0, tickMs: 250, log: () => undefined })
  for (const key of ['new-checkout', 'new-search'])
    daemon.flags.setFlag(
      key,
      { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
      'test',
    )
})

afterAll(async () => {
  await stopAll()
  await daemon.stop({ keepReplicas: false })
  rmSync(stateDir, { recursive: true, force: true })
})

describe('a flag rollout', () => {
  it('refuses a flag that is not served, or a variant it does not have, and changes nothing', async () => {
    await expect(apply(flagRollout('nope', 'no-such-flag', 'on'))).rejects.toThrow(
      /flag no-such-flag is not served/,
    )
    await expect(apply(flagRollout('nope', 'new-checkout', 'maybe'))).rejects.toThrow(
      /has no variant maybe/,
    )
    expect(daemon.controllers.has('nope')).toBe(false)
  })

  it('is promoted when users in the new variant do as well as the others', async () => {
    const app = await startDemoApp({
      FLAGS_URL: daemon.url,
      FEATURE_FLAG: 'new-checkout',
      FEATURE_ERROR_RATE: '0',
    })
    await apply(flagRollout('checkout', 'new-checkout', 'off'))
    await waitFor(() => phase('checkout') === 'Healthy', 'revision 1 (off) to be stable')
    await apply(flagRollout('checkout', 'new-checkout', 'on'))
    const seen = new Set<number>()
    await loadUntil(
      app,
      () => {
        const split = readSplit(
          daemon.flags.flagSet.definition('new-checkout') ?? expect.fail('flag gone'),
        )
        if (split?.canaryVariant === 'on') seen.add(split.canaryPercent)
        return daemon.controller('checkout').status.lastOutcome?.revision === 2
      },
      'the release of variant on to be decided',
    )
    expect(daemon.controller('checkout').status.lastOutcome?.result).toBe('Promoted')
    expect([...seen].sort((a, b) => a - b)).toEqual([20, 50])
    // everyone gets the new checkout now
    const flag = daemon.flags.flagSet.definition('new-checkout')
    expect(flag).toMatchObject({ state: 'ENABLED', defaultVariant: 'on' })
    expect(flag?.targeting).toBeUndefined()
    const res = await request(`http://127.0.0.1:${app.port}/checkout?user=someone-new`)
    expect(await res.body.json()).toMatchObject({ checkout: 'new', variant: 'on' })
    const actors = daemon.flags.audit({ key: 'new-checkout' }).filter((e) => e.action === 'rollout')
    expect(actors.length).toBeGreaterThanOrEqual(3)
    expect(new Set(actors.map((e) => e.actor))).toEqual(new Set(['rollout/checkout']))
    await app.stop()
  })

  it('turns the flag back for everyone when users in the new variant fail', async () => {
    const app = await startDemoApp({
      FLAGS_URL: daemon.url,
      FEATURE_FLAG: 'new-search',
      FEATURE_ERROR_RATE: '40',
    })
    await apply(flagRollout('search', 'new-search', 'off'))
    await waitFor(() => phase('search') === 'Healthy', 'revision 1 (off) to be stable')
    await apply(flagRollout('search', 'new-search', 'on'))
    const { failed } = await loadUntil(
      app,
      () => daemon.controller('search').status.lastOutcome?.revision === 2,
      'the bad variant to be judged',
    )
    const status = daemon.controller('search').status
    expect(status.lastOutcome?.result).toBe('RolledBack')
    expect(status.phase).toBe('RolledBack')
    expect(failed).toBeGreaterThan(0)
    // the flag is back to the old variant for everyone, and the app serves the old checkout
    const flag = daemon.flags.flagSet.definition('new-search')
    expect(flag).toMatchObject({ defaultVariant: 'off' })
    expect(flag?.targeting).toBeUndefined()
    for (let i = 0; i < 50; i++) {
      const res = await request(`http://127.0.0.1:${app.port}/checkout?user=after-${i}`)
      expect(res.statusCode).toBe(200)
      expect(await res.body.json()).toMatchObject({ checkout: 'old', variant: 'off' })
    }
    const last = daemon.flags.audit({ key: 'new-search' }).at(-1)
    expect(last).toMatchObject({
      actor: 'rollout/search',
      action: 'rollout',
      after: { defaultVariant: 'off' },
    })
    expect(readSplit(last?.before ?? expect.fail('no before'))?.canaryVariant).toBe('on')
    await app.stop()
  })
})
