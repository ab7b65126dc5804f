/**
 * A metric's provider as the plan wants it: one kind, defaults applied, timeouts in seconds, query
 * sets expanded, and the variables known from the spec (`{{ namespace }}`, `{{ target }}`, …) filled.
 */
import type {
  HttpAuth,
  MetricProviderPlan,
  SecretSource,
  TrafficQueries,
} from '../../analysis/types.js'
import { BUILTIN_METRIC_NAMES } from '../../analysis/vocabulary.js'
import { seconds } from '../duration.js'
import { fillVariables, promDuration, type SpecVariables } from '../metric-variables.js'
import { QUERY_SETS } from '../query-sets.js'
import type { MetricSpec } from '../schema.js'

type PrometheusSpec = NonNullable<NonNullable<MetricSpec['provider']>['prometheus']>
type AuthSpec = NonNullable<PrometheusSpec['auth']>
type SecretSpec = NonNullable<AuthSpec['bearer']>

/** What `{{ … }}` variables known from the spec stand for, for one rollout. */
export interface VariableContext {
  spec: Omit<SpecVariables, 'interval'>
  /** The metric's interval in seconds, for `{{ interval }}`. */
  intervalSeconds: number
}

function secret(s: SecretSpec): SecretSource {
  return s.env !== undefined ? { env: s.env } : { file: s.file ?? '' }
}

function auth(a: AuthSpec | undefined): { auth?: HttpAuth } {
  if (a?.bearer !== undefined) return { auth: { kind: 'bearer', token: secret(a.bearer) } }
  if (a?.basic !== undefined)
    return {
      auth: { kind: 'basic', username: a.basic.username, password: secret(a.basic.password) },
    }
  return {}
}

function headers(h: Record<string, unknown> | undefined, fill: (s: string) => string) {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, fill(String(v))]))
}

/** The quantity a traffic metric measures: given, or the metric's own builtin name. */
export function trafficQuantity(
  m: MetricSpec,
  traffic: NonNullable<PrometheusSpec['traffic']>,
): TrafficQueries['metric'] | undefined {
  const name = traffic.metric ?? m.name
  return (BUILTIN_METRIC_NAMES as readonly string[]).includes(name)
    ? (name as TrafficQueries['metric'])
    : undefined
}

function trafficPlan(
  m: MetricSpec,
  t: NonNullable<PrometheusSpec['traffic']>,
  fill: (s: string) => string,
): TrafficQueries {
  const set = t.querySet === undefined ? undefined : QUERY_SETS[t.querySet]
  const pick = (own: string | undefined, fromSet: string | undefined): string =>
    fill(own ?? fromSet ?? '')
  const plan: TrafficQueries = {
    metric: trafficQuantity(m, t) ?? 'error-rate',
    selectors: {
      canary: pick(t.canary, set?.selectors.canary),
      stable: pick(t.stable, set?.selectors.stable),
    },
    requests: pick(t.requests, set?.requests),
    errors: pick(t.errors, set?.errors),
    latencyUnit: t.latencyUnit ?? set?.latencyUnit ?? 'seconds',
  }
  if (t.querySet !== undefined) plan.querySet = t.querySet
  const buckets = t.latencyBuckets ?? set?.latencyBuckets
  if (buckets !== undefined) plan.latencyBuckets = fill(buckets)
  const sum = t.latencySum ?? set?.latencySum
  if (sum !== undefined) plan.latencySum = fill(sum)
  return plan
}

/** No provider means a builtin metric by the metric's own name. */
export function providerPlan(m: MetricSpec, context: VariableContext): MetricProviderPlan {
  const values = { ...context.spec, interval: promDuration(context.intervalSeconds) }
  const fill = (s: string): string => fillVariables(s, values)
  const p = m.provider
  if (p?.prometheus !== undefined) {
    const prom = p.prometheus
    const plan: MetricProviderPlan = {
      kind: 'prometheus',
      address: prom.address,
      headers: headers(prom.headers, fill),
      ...auth(prom.auth),
      ...(prom.timeout === undefined ? {} : { timeoutSeconds: seconds(prom.timeout, 10) }),
    }
    if (prom.query !== undefined) plan.query = fill(prom.query)
    if (prom.rangeQuery !== undefined)
      plan.range = {
        seconds: seconds(prom.rangeQuery.duration, context.intervalSeconds),
        stepSeconds: seconds(prom.rangeQuery.step, 60),
      }
    if (prom.traffic !== undefined) plan.traffic = trafficPlan(m, prom.traffic, fill)
    return plan
  }
  if (p?.web !== undefined) {
    const body =
      p.web.jsonBody !== undefined
        ? fill(JSON.stringify(p.web.jsonBody))
        : p.web.body === undefined
          ? undefined
          : fill(p.web.body)
    const h = headers(p.web.headers, fill)
    if (
      p.web.jsonBody !== undefined &&
      !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')
    )
      h['content-type'] = 'application/json'
    return {
      kind: 'web',
      url: fill(p.web.url),
      method: p.web.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: h,
      ...(body === undefined ? {} : { body }),
      jsonPath: p.web.jsonPath,
      ...auth(p.web.auth),
      ...(p.web.timeout === undefined ? {} : { timeoutSeconds: seconds(p.web.timeout, 10) }),
    }
  }
  if (p?.job !== undefined)
    return {
      kind: 'job',
      namespace: context.spec.namespace,
      image: fill(p.job.image),
      command: p.job.command.map(fill),
      ...(p.job.timeout === undefined ? {} : { timeoutSeconds: seconds(p.job.timeout, 300) }),
    }
  if (p?.command !== undefined)
    return {
      kind: 'command',
      command: p.command.command.map(fill),
      ...(p.command.timeout === undefined
        ? {}
        : { timeoutSeconds: seconds(p.command.timeout, 30) }),
    }
  return {
    kind: 'builtin',
    metric: (p?.builtin?.metric ?? m.name) as Extract<
      MetricProviderPlan,
      { kind: 'builtin' }
    >['metric'],
  }
}
