/** How Prometheus answers become values: one series or none, lists, and histograms re-binned. */
import { describe, expect, it } from 'vitest'
import { LATENCY_BUCKETS_MS } from '../../analysis/traffic.js'
import { parseData, sampleValue } from './client.js'
import { instantValue, rangeValue } from './provider.js'
import { rebinCumulative } from './traffic-counts.js'

describe('Prometheus answers as values', () => {
  it('reads sample values as the API writes them, NaN and infinities included', () => {
    expect(sampleValue('0.25')).toBe(0.25)
    expect(sampleValue('NaN')).toBeNaN()
    expect(sampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY)
    expect(sampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY)
    expect(sampleValue('')).toBeUndefined()
    expect(sampleValue(1)).toBeUndefined()
  })

  it('takes one series as the value, none as no data, and refuses several', () => {
    const vector = (...values: string[]) =>
      parseData({
        resultType: 'vector',
        result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1, v] })),
      })
    const one = vector('3')
    const none = vector()
    const two = vector('1', '2')
    if (typeof one === 'string' || typeof none === 'string' || typeof two === 'string')
      throw new Error('unreachable')
    expect(instantValue(one)).toEqual({ value: 3 })
    expect(instantValue(none)).toEqual({ value: null })
    expect(instantValue(two)).toEqual({
      error:
        'the query gave 2 series ({pod="p0"}, {pod="p1"}) where one value is wanted: aggregate them (sum, max, …) or select one by its labels',
    })
  })

  it('says what is malformed in a data object', () => {
    expect(parseData({ resultType: 'vector', result: [{ metric: {}, value: [1, 'x'] }] })).toBe(
      'a vector sample that is not {metric, value: [time, "value"]}',
    )
    expect(parseData({ resultType: 'table', result: [] })).toBe('an unknown resultType "table"')
    expect(parseData(null)).toBe('no data object')
  })

  it('gives a range query as the list of its one series', () => {
    const matrix = parseData({
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [1, '1'],
            [2, '2'],
            [3, 'NaN'],
          ],
        },
      ],
    })
    if (typeof matrix === 'string') throw new Error(matrix)
    const v = rangeValue(matrix)
    expect('value' in v && v.value?.slice(0, 2)).toEqual([1, 2])
  })
})

describe('latency histograms re-binned onto Kanari buckets', () => {
  it('keeps the total and interpolates inside source buckets', () => {
    // Istio-like bounds in ms: 100 requests between 250 and 500 ms, 50 under 10 ms.
    const source = new Map<number, number>([
      [10, 50],
      [250, 50],
      [500, 150],
      [Number.POSITIVE_INFINITY, 150],
    ])
    const { cumulative, total } = rebinCumulative(source, 1)
    expect(total).toBe(150)
    const at = (ms: number) => cumulative[LATENCY_BUCKETS_MS.indexOf(ms as never)]
    expect(at(10)).toBe(50)
    expect(at(250)).toBe(50)
    expect(at(500)).toBe(150)
    // Half way through the 250–500 bucket: half its 100 requests, as histogram_quantile assumes.
    expect(at(300)).toBe(70)
    expect(at(400)).toBe(110)
    // Never decreasing, never above the total.
    for (let i = 1; i < cumulative.length; i++)
      expect(cumulative[i]).toBeGreaterThanOrEqual(cumulative[i - 1] ?? 0)
    expect(Math.max(...cumulative)).toBeLessThanOrEqual(total)
  })

  it('converts seconds to milliseconds and leaves what is past the last bound in +Inf', () => {
    const { cumulative, total } = rebinCumulative(
      new Map([
        [0.1, 10],
        [1, 10],
        [Number.POSITIVE_INFINITY, 25],
      ]),
      1000,
    )
    expect(total).toBe(25)
    expect(cumulative[LATENCY_BUCKETS_MS.indexOf(100)]).toBe(10)
    expect(cumulative.at(-1)).toBe(10)
  })
})
