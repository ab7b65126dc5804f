/**
 * The query sets' text: every query parses as PromQL once filled, reads one version through
 * `{{ selector }}`, is a running total (no trailing-range rate/increase, which would carry a previous
 * revision's counts on the same Service into a new revision's window), and every errors query reads 0
 * before the first error. The traefik selectors pick one backend Service out of Traefik's names.
 */
import { describe, expect, it } from 'vitest'
import { fillVariables, SELECTOR_VARIABLE } from './metric-variables.js'
import { PROMETHEUS_QUERY_SETS, QUERY_SETS } from './query-sets.js'
import { checkPromqlSyntax } from './validate/promql.js'

const SPEC = { namespace: 'shop', target: 'checkout', service: 'checkout', ingress: 'checkout' }

describe('query sets', () => {
  for (const name of PROMETHEUS_QUERY_SETS) {
    const set = QUERY_SETS[name]
    const queries = {
      requests: set.requests,
      errors: set.errors,
      latencyBuckets: set.latencyBuckets,
      latencySum: set.latencySum,
    }
    it(`${name}: running totals of one version that parse, errors 0 before the first one`, () => {
      for (const [quantity, text] of Object.entries(queries)) {
        expect(text, `${name}.${quantity}`).toContain('{{ selector }}')
        expect(text, `${name}.${quantity}`).not.toMatch(/\b(rate|irate|increase|delta)\s*\(|\[\d/)
        for (const role of ['canary', 'stable'] as const) {
          const filled = fillVariables(
            fillVariables(text, { ...SPEC, [SELECTOR_VARIABLE]: set.selectors[role] }),
            { ...SPEC, revision: '3', role },
          )
          expect(filled).not.toMatch(/\{\{/)
          expect(
            checkPromqlSyntax(filled),
            `${name}.${quantity} (${role}): ${filled}`,
          ).toBeUndefined()
        }
      }
      expect(set.errors).toMatch(/^sum\(.*\) or vector\(0\)$/)
      expect(set.requests).not.toMatch(/or vector/)
    })
  }

  it('traefik: the selectors pick the canary or primary backend Service of the namespace only', () => {
    // Prometheus regex matchers are anchored at both ends.
    const matcher = (role: 'canary' | 'stable'): RegExp => {
      const text = fillVariables(QUERY_SETS.traefik.selectors[role], SPEC)
      const m = /^service=~"(.*)"$/.exec(text)
      if (m === null) throw new Error(`not one regex matcher: ${text}`)
      return new RegExp(`^(?:${m[1]})$`)
    }
    const backend = (ns: string, svc: string, n = 0): string =>
      `httproute-${ns}-web-gw-${ns}-gateway-ep-web-0-1c0cf64bde37d9d0dc4a-svc-${ns}-${svc}-${n}@kubernetesgateway`
    expect(matcher('canary').test(backend('shop', 'checkout-canary'))).toBe(true)
    expect(matcher('canary').test(backend('shop', 'checkout-canary', 1))).toBe(true)
    expect(matcher('stable').test(backend('shop', 'checkout-primary'))).toBe(true)
    expect(matcher('canary').test(backend('shop', 'checkout-primary'))).toBe(false)
    expect(matcher('stable').test(backend('shop', 'checkout-canary'))).toBe(false)
    expect(matcher('canary').test(backend('other', 'checkout-canary'))).toBe(false)
    expect(matcher('canary').test(backend('shop', 'checkout-canary-svc'))).toBe(false)
    // The parent weighted service of a route is not a backend.
    expect(
      matcher('canary').test(
        'httproute-shop-web-gw-shop-gateway-ep-web-0-1c0cf64bde37d9d0dc4a-wrr@kubernetesgateway',
      ),
    ).toBe(false)
  })
})
