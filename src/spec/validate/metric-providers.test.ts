/**
 * What lint says about prometheus, web and command metrics: PromQL that does not parse (Prometheus'
 * grammar, variables filled in), unknown variables, traffic queries without a selector, auth with no
 * single source; and what normalisation makes of a query set and the spec's variables.
 */
import { describe, expect, it } from 'vitest'
import { checkRolloutSet, parseRolloutSet, planFor } from '../../manifests/rollout-set.js'
import { formatProblem } from '../problems.js'

const problemsOf = (metrics: string): string[] =>
  checkRolloutSet([{ name: 'r.yaml', text: rollout(metrics) }]).problems.map(formatProblem)

function rollout(metrics: string): string {
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  workload: { targetRef: { kind: Deployment, name: checkout } }
  service: { port: 8080 }
  trafficRouting: { nginx: { ingress: checkout-public } }
  strategy: { canary: { steps: [{ setWeight: 10 }] } }
  analysis:
    interval: 30s
    metrics:
${metrics}`
}

const prom = (fields: string): string => `      - name: m
        provider: { prometheus: { address: "http://127.0.0.1:9090", ${fields} } }
`

describe('prometheus, web and command metrics in lint', () => {
  it('points at the column where a query stops being PromQL', () => {
    expect(
      problemsOf(prom(`query: 'sum(rate(x{job="{{ target }}"}[{{ interval }}])) by (le'`)),
    ).toEqual([
      'r.yaml:13 spec.analysis.metrics[0].provider.prometheus.query: not valid PromQL: it ends too early, after "rate(x{job="app"}[1m])) by (le" (variables and args filled in)',
    ])
    expect(problemsOf(prom(`query: 'sum(x) +* 2'`))[0]).toMatch(
      /query: not valid PromQL: at column 9, near "sum\(x\) \+" ⟨here⟩ "\* 2"$/,
    )
  })

  it('accepts PromQL with every variable, and refuses an unknown one with the known ones listed', () => {
    const ok = `query: 'sum(rate(http_requests_total{namespace="{{ namespace }}", app="{{ target }}", svc="{{ service }}", ing="{{ ingress }}", rev="{{ revision }}", role="{{ role }}"}[{{ interval }}]))'`
    expect(problemsOf(prom(ok))).toEqual([])
    expect(problemsOf(prom(`query: 'sum(x{pod="{{ pod }}"})'`))).toEqual([
      'r.yaml:13 spec.analysis.metrics[0].provider.prometheus.query: unknown variable {{ pod }}; known: {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ interval }}, {{ revision }}, {{ role }}',
    ])
  })

  it('wants exactly one of query and traffic, a selector in traffic queries and matchers as selectors', () => {
    expect(problemsOf(prom('timeout: 5s'))).toEqual([
      'r.yaml:13 spec.analysis.metrics[0].provider.prometheus: give exactly one of query (one value per measurement) or traffic (per-version counts for the sequential judge)',
    ])
    const own = problemsOf(`      - name: error-rate
        provider:
          prometheus:
            address: http://127.0.0.1:9090
            traffic:
              canary: 'track="canary'
              stable: 'track="stable"'
              requests: 'sum(http_requests_total{ {{ selector }} })'
              errors: 'sum(http_requests_total{code=~"5.."})'
`)
    expect(own).toEqual([
      'r.yaml:17 spec.analysis.metrics[0].provider.prometheus.traffic.canary: not PromQL label matchers: give them as inside braces, e.g. deployment="checkout-primary", namespace="shop"',
      'r.yaml:20 spec.analysis.metrics[0].provider.prometheus.traffic.errors: uses no {{ selector }}: it would count both versions together; put {{ selector }} inside the braces of its series',
    ])
    expect(problemsOf(prom('traffic: { querySet: istio }'))[0]).toMatch(
      /traffic: a traffic metric measures one of error-rate, success-rate, .*: name the metric so, or give traffic.metric$/,
    )
  })

  it('wants one secret source, an absolute secret file, a URL, a JSONPath, and no body on a GET', () => {
    expect(
      problemsOf(prom(`query: 'up', auth: { bearer: { env: TOKEN, file: /run/token } }`)),
    ).toEqual([
      'r.yaml:13 spec.analysis.metrics[0].provider.prometheus.auth.bearer: give exactly one of env (a variable name) or file (an absolute path)',
    ])
    expect(
      problemsOf(
        prom(`query: 'up', auth: { basic: { username: u, password: { file: token.txt } } }`),
      )[0],
    ).toMatch(/auth.basic.password.file: "token.txt" is not an absolute path/)
    expect(
      problemsOf(`      - name: w
        provider: { web: { url: "localhost:8080/x", method: GET, body: "{}", jsonPath: "$.a[" } }
`),
    ).toEqual([
      'r.yaml:13 spec.analysis.metrics[0].provider.web.url: "localhost:8080/x" is not an http or https URL',
      'r.yaml:13 spec.analysis.metrics[0].provider.web.method: a GET sends no body: use POST, or remove the body',
      expect.stringMatching(
        /^r\.yaml:13 spec\.analysis\.metrics\[0\]\.provider\.web\.jsonPath: not a JSONPath \(RFC 9535\) expression: .*; e\.g\. \$\.data\.errorRate$/,
      ),
    ])
  })
})

describe('prometheus metrics in the plan', () => {
  it('expands a query set and fills the variables known from the spec', () => {
    const set = parseRolloutSet([
      {
        name: 'r.yaml',
        text: rollout(`      - name: latency-p99
        thresholdRange: { max: 300 }
        provider: { prometheus: { address: "http://127.0.0.1:9090", traffic: { querySet: nginx } } }
      - name: orders
        provider: { prometheus: { address: "http://127.0.0.1:9090", query: 'sum(rate(orders_total{ns="{{ namespace }}"}[{{ interval }}])) + {{ revision }}' } }
`),
      },
    ])
    const doc = set.rollouts[0]?.doc
    if (doc === undefined) throw new Error('the rollout did not parse')
    const plan = planFor(doc, set.templates, 1)
    const [latency, orders] = plan.analysis?.metrics ?? []
    expect(latency?.provider).toEqual({
      kind: 'prometheus',
      address: 'http://127.0.0.1:9090',
      headers: {},
      traffic: {
        metric: 'latency-p99',
        querySet: 'nginx',
        selectors: {
          canary: 'namespace="shop", ingress="checkout-public", canary!=""',
          stable: 'namespace="shop", ingress="checkout-public", canary=""',
        },
        requests: 'sum(nginx_ingress_controller_requests{ {{ selector }} })',
        errors:
          'sum(nginx_ingress_controller_requests{ {{ selector }}, status=~"5.." }) or vector(0)',
        latencyBuckets:
          'sum by (le) (nginx_ingress_controller_request_duration_seconds_bucket{ {{ selector }} })',
        latencySum: 'sum(nginx_ingress_controller_request_duration_seconds_sum{ {{ selector }} })',
        latencyUnit: 'seconds',
      },
    })
    // {{ revision }} is the version measured: the provider fills it at each measurement.
    expect(orders?.provider).toMatchObject({
      query: 'sum(rate(orders_total{ns="shop"}[30s])) + {{ revision }}',
    })
  })
})
