/**
 * Smoke: the demo's path through the real binary — daemon, v1's replicas under load, a release under
 * way with the canary taking traffic — then Ctrl-C: exit 130 in bounded time, its state directory and
 * every process it started gone.
 */
import { afterEach, describe, it } from 'vitest'
import { cleanUpRuns, interruptAt, MILESTONES } from '../demo/interrupt-run.js'

afterEach(cleanUpRuns)

const midRelease = MILESTONES.at(-1)

describe.skipIf(process.platform !== 'linux')('kanari demo', () => {
  it(`runs until ${midRelease?.name}, and SIGINT cleans up`, { timeout: 60_000 }, async () => {
    if (midRelease === undefined) throw new Error('no milestones')
    await interruptAt(midRelease, 'SIGINT')
  })
})
