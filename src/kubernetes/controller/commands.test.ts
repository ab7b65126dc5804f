/** Commands from annotations: which are new, in what order, and who asked. */
import { describe, expect, it } from 'vitest'
import { actorOf, commandOf, currentCommands, newCommands } from './commands.js'

describe('command annotations', () => {
  it('finds values not handled yet, in handling order', () => {
    const annotations = {
      'kanari.dev/promote': '2026-01-01T00:00:02Z by ann',
      'kanari.dev/abort': '2026-01-01T00:00:01Z by bob',
      'kanari.dev/retry': 'old',
      other: 'x',
    }
    expect(newCommands(annotations, { retry: 'old' })).toEqual([
      { name: 'abort', value: '2026-01-01T00:00:01Z by bob' },
      { name: 'promote', value: '2026-01-01T00:00:02Z by ann' },
    ])
    expect(newCommands(annotations, currentCommands(annotations))).toEqual([])
  })

  it('reads the actor and an abort reason from the value', () => {
    expect(actorOf('2026-01-01T00:00:01Z by ann@kubectl-kanari')).toBe('ann@kubectl-kanari')
    expect(actorOf('1')).toBe('annotation')
    expect(commandOf('abort', 'now by ann reason=error budget spent')).toEqual({
      type: 'abort',
      reason: 'error budget spent',
    })
    expect(commandOf('promote-full', 'x')).toEqual({ type: 'promote', full: true })
  })
})
