/** Requests by method, path and status per second: paths without ids, bounded keys, windows. */
import { describe, expect, it } from 'vitest'
import { MAX_KEYS_PER_SECOND, OTHER_PATH, RouteCounts, routePath } from './route-counts.js'

describe('route counts', () => {
  it('drops the query and shows ids as :id', () => {
    expect(routePath('/color?x=1')).toBe('/color')
    expect(routePath('/users/123/orders/9f1c2a3b-0000-4000-8000-123456789abc')).toBe(
      '/users/:id/orders/:id',
    )
    expect(routePath('/v1/items/sku2024-blue')).toBe('/v1/items/sku2024-blue')
    expect(routePath('/files/a1b2c3d4e5f6a7b8c9d0')).toBe('/files/:id')
  })

  it('sums the whole seconds of a window, per backend', () => {
    const c = new RouteCounts()
    const t = 1_700_000_000_000
    c.record('rev-2', 'GET', '/color', 500, t)
    c.record('rev-2', 'GET', '/color?a=b', 500, t + 1500)
    c.record('rev-2', 'GET', '/color', 200, t + 1500)
    c.record('rev-2', 'POST', '/cart/7', 0, t + 3000)
    c.record('rev-1', 'GET', '/color', 200, t)
    expect(c.window('rev-2', t, t + 2000)).toEqual([
      { status: 500, method: 'GET', path: '/color', count: 2 },
      { status: 200, method: 'GET', path: '/color', count: 1 },
    ])
    expect(c.window('rev-2', t + 2000, t + 4000)).toEqual([
      { status: 0, method: 'POST', path: '/cart/:id', count: 1 },
    ])
    expect(c.window('rev-9', t, t + 4000)).toEqual([])
  })

  it('keeps a bounded number of keys per second; the rest count as (other)', () => {
    const c = new RouteCounts()
    const t = 1_700_000_000_000
    for (let i = 0; i < MAX_KEYS_PER_SECOND + 50; i++) c.record('rev-1', 'GET', `/p${i}`, 200, t)
    const rows = c.window('rev-1', t, t + 1000)
    expect(rows).toHaveLength(MAX_KEYS_PER_SECOND + 1)
    expect(rows[0]).toEqual({ status: 200, method: 'GET', path: OTHER_PATH, count: 50 })
  })
})
