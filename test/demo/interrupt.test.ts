/**
 * `kanari demo` interrupted at a moment picked at random from its milestones, through the real
 * binary: SIGTERM, and a second SIGINT during the cleanup (a first SIGINT at the last milestone is
 * the smoke test, test/smoke/demo.test.ts).
 */
import { afterEach, describe, it } from 'vitest'
import { cleanUpRuns, interruptAt, pickMilestone } from './interrupt-run.js'

afterEach(cleanUpRuns)

describe.skipIf(process.platform !== 'linux')('kanari demo, interrupted', () => {
  const first = pickMilestone()
  const second = pickMilestone()

  it(`SIGTERM at: ${first.name}`, { timeout: 60_000 }, () => interruptAt(first, 'SIGTERM'))
  it(`a second SIGINT during the cleanup, at: ${second.name}`, { timeout: 60_000 }, () =>
    interruptAt(second, 'SIGINT', { again: true }),
  )
})
