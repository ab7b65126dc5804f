import { describe, expect, it } from 'vitest'
import { failedBreakdown } from './run-demo.js'

describe('demo summary', () => {
  it('splits the failed total so that its parts add up to it', () => {
    const line = failedBreakdown({
      load: { requests: 9000, failed: 61, unanswered: 2, rps: 100 },
      releases: [{ failedRequests: 0 }, { failedRequests: 7 }, { failedRequests: 40 }].map(
        (r) => r as never,
      ),
    })
    expect(line).toBe(
      "61 failed: 47 reached a release while it was judged (per release below), 12 on a version outside its judged window (stable's own errors, in flight at a rollback), 2 got no answer from any version",
    )
  })

  it('leaves out the unanswered part when every request was answered', () => {
    expect(
      failedBreakdown({ load: { requests: 10, failed: 3, unanswered: 0, rps: 1 }, releases: [] }),
    ).toBe(
      "3 failed: 0 reached a release while it was judged (per release below), 3 on a version outside its judged window (stable's own errors, in flight at a rollback)",
    )
  })
})
