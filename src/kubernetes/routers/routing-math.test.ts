/** Weights per Service, read back; replica-ratio endpoint counts. */
import { describe, expect, it } from 'vitest'
import type { TrafficState } from '../../engine/status.js'
import { canaryWeightOf, splitOf } from './object-router.js'
import { canaryEndpointCount } from './replica-ratio.js'

const at = (w: number): TrafficState => ({
  stableRevision: 1,
  canaryRevision: w === 0 ? null : 2,
  canaryWeight: w,
  headerRoutes: [],
  mirror: null,
})

describe('weights per Service', () => {
  it('puts stable on the primary and the canary on the canary Service', () => {
    expect(splitOf(at(30), 'primary')).toEqual({ primary: 70, canary: 30 })
    for (const w of [0, 5, 50, 100])
      expect(canaryWeightOf(splitOf(at(w), 'primary'), 'primary')).toBe(w)
  })

  it('sends stable to the canary Service while the primary is not serving it yet', () => {
    expect(splitOf(at(0), 'canary')).toEqual({ primary: 0, canary: 100 })
    expect(canaryWeightOf({ primary: 0, canary: 100 }, 'canary')).toBe(0)
  })

  it('reads weights that do not add up to 100 as shares', () => {
    expect(canaryWeightOf({ primary: 3, canary: 1 }, 'primary')).toBe(25)
    expect(canaryWeightOf({ primary: 0, canary: 0 }, 'primary')).toBe(0)
  })
})

describe('replica ratio', () => {
  it('adds about as many canary endpoints as the weight asks, at least one, at most all', () => {
    expect(canaryEndpointCount(4, 4, 0)).toBe(0)
    expect(canaryEndpointCount(4, 4, 5)).toBe(1)
    expect(canaryEndpointCount(4, 4, 50)).toBe(4)
    expect(canaryEndpointCount(3, 10, 25)).toBe(1)
    expect(canaryEndpointCount(6, 10, 40)).toBe(4)
    expect(canaryEndpointCount(2, 1, 90)).toBe(1)
    expect(canaryEndpointCount(0, 3, 10)).toBe(3)
    expect(canaryEndpointCount(3, 0, 50)).toBe(0)
  })
})
