/**
 * A timed pause in the local daemon runs on the daemon's clock: moved on by hand, a ten-minute pause
 * ends at its tenth minute and not a tick before, with no real waiting. The rollout is a flag
 * rollout, so the daemon, its rollout controller and the runner are all real and no process starts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ManualClock } from '../../controller/test-utils/manual-clock.js'
import type { RolloutStatus } from '../../engine/status.js'
import { Daemon } from './daemon.js'

// A tick every 15 s of clock time: ten minutes are 40 ticks (each one saves the status, whose message
// counts the seconds left), not 600.
const TICK_MS = 15_000
const PAUSE_MS = 10 * 60_000
const stateDir = mkdtempSync(join(tmpdir(), 'kanari-timed-pause-'))
const clock = new ManualClock()
let daemon: Daemon

beforeAll(async () => {
  daemon = await Daemon.start({ stateDir, tickMs: TICK_MS, clock, log: () => undefined })
  daemon.flags.setFlag(
    'new-checkout',
    { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
    'test',
  )
})

afterAll(async () => {
  await daemon.stop({ keepReplicas: false })
  rmSync(stateDir, { recursive: true, force: true })
})

async function release(variant: string): Promise<void> {
  const text = `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: checkout }
spec:
  workload:
    flag: { key: new-checkout, variant: "${variant}" }
  strategy:
    canary:
      steps: [{ setWeight: 20 }, { pause: { duration: 10m } }, { setWeight: 50 }]
`
  expect(await daemon.apply([{ name: 'rollout.yaml', text }], stateDir)).toHaveLength(1)
}

const status = (): RolloutStatus => daemon.controller('checkout').status

/** Moves the clock on one tick at a time until `until` holds; at most `maxTicks` ticks. */
async function tickUntil(until: (s: RolloutStatus) => boolean, what: string, maxTicks = 10) {
  for (let i = 0; i < maxTicks && !until(status()); i++) {
    clock.advance(TICK_MS)
    await daemon.controller('checkout').settled()
  }
  if (!until(status()))
    throw new Error(
      `${what}: not reached in ${maxTicks} ticks; ${status().phase}: ${status().message}`,
    )
}

it('ends a 10m pause step when the clock reaches it, not before', async () => {
  await release('off')
  await tickUntil((s) => s.phase === 'Healthy' && s.stableRevision === 1, 'revision 1 healthy')

  await release('on')
  await tickUntil((s) => s.canaryRevision === 2 && s.currentStepIndex === 1, 'pausing at 20%')
  expect(status()).toMatchObject({ phase: 'Progressing', pause: null })
  expect(status().traffic.canaryWeight).toBe(20)
  const pausedAt = status().stepStartedAt

  // A tick short of ten minutes (39 ticks on the way): still pausing, still at 20%.
  clock.advance(pausedAt + PAUSE_MS - TICK_MS - clock.now())
  await daemon.controller('checkout').settled()
  expect(status()).toMatchObject({ phase: 'Progressing', currentStepIndex: 1, canaryRevision: 2 })
  expect(status().traffic.canaryWeight).toBe(20)

  await tickUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 'revision 2 promoted')
  const events = daemon.store.events.list('checkout')
  const pauseDone = events.find(
    (e) => e.reason === 'StepCompleted' && e.revision === 2 && e.step.kind === 'pause',
  )
  expect(pauseDone?.at).toBeGreaterThanOrEqual(pausedAt + PAUSE_MS)
  expect(pauseDone?.at).toBeLessThanOrEqual(pausedAt + PAUSE_MS + TICK_MS)

  // Deleted, the rollout leaves no timer on the clock.
  expect(clock.timers).toBe(1)
  await daemon.deleteRollout('checkout')
  expect(clock.timers).toBe(0)
})
