/**
 * A metric's prometheus, web or command provider: one query or one traffic shape, queries that parse
 * as PromQL once their variables are filled, variables that exist, secrets that name one source, and
 * a JSONPath that parses.
 */
import { query as jsonPathQuery } from 'jsonpath-rfc9535'
import { BUILTIN_METRIC_NAMES } from '../../analysis/vocabulary.js'
import {
  MEASURE_VARIABLES,
  SELECTOR_VARIABLE,
  SPEC_VARIABLES,
  fillVariables,
  variableNames,
} from '../metric-variables.js'
import { trafficQuantity } from '../normalize/metric-provider.js'
import { QUERY_SETS } from '../query-sets.js'
import type { MetricSpec } from '../schema.js'
import { quote } from '../shown-value.js'
import { fillArgs } from '../template-args.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration } from './durations.js'
import { checkPromqlSyntax } from './promql.js'

type ProviderSpec = NonNullable<MetricSpec['provider']>
type PrometheusSpec = NonNullable<ProviderSpec['prometheus']>
type AuthSpec = NonNullable<PrometheusSpec['auth']>

/** Values that stand in for every variable when a query's syntax is checked. */
const PLACEHOLDERS: Record<string, string> = {
  namespace: 'default',
  target: 'app',
  service: 'app',
  ingress: 'app',
  interval: '1m',
  revision: '1',
  role: 'canary',
  [SELECTOR_VARIABLE]: 'kanari_placeholder="x"',
}

/** Variables a text may use: spec-time and measure-time ones, and `selector` in traffic queries. */
function checkVariables(p: DocumentProblems, at: Path, text: string, selector: boolean): void {
  const known: string[] = [...SPEC_VARIABLES, ...MEASURE_VARIABLES]
  if (selector) known.push(SELECTOR_VARIABLE)
  for (const name of new Set(variableNames(text))) {
    if (!known.includes(name))
      p.add(
        at,
        `unknown variable {{ ${name} }}; known: ${known.map((k) => `{{ ${k} }}`).join(', ')}${name === SELECTOR_VARIABLE ? ' ({{ selector }} is for traffic queries)' : ''}`,
      )
  }
}

function checkQuery(
  p: DocumentProblems,
  at: Path,
  query: string,
  args: ReadonlyMap<string, string | undefined>,
  selector: boolean,
): void {
  checkVariables(p, at, query, selector)
  const filled = fillVariables(fillArgs(query, args, '0'), PLACEHOLDERS)
  const problem = checkPromqlSyntax(filled)
  if (problem !== undefined)
    p.add(at, filled === query ? problem : `${problem} (variables and args filled in)`)
}

function checkSecret(p: DocumentProblems, at: Path, s: { env?: string; file?: string }): void {
  if ((s.env === undefined) === (s.file === undefined))
    p.add(at, 'give exactly one of env (a variable name) or file (an absolute path)')
  else if (s.env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.env))
    p.add([...at, 'env'], `${quote(s.env)} is not an environment variable name`)
  else if (s.file !== undefined && !s.file.startsWith('/'))
    p.add(
      [...at, 'file'],
      `${quote(s.file)} is not an absolute path; the daemon reads it when it measures, from its own working directory`,
    )
}

function checkAuth(p: DocumentProblems, at: Path, auth: AuthSpec | undefined): void {
  if (auth === undefined) return
  if ((auth.bearer === undefined) === (auth.basic === undefined)) {
    p.add(at, 'give exactly one of bearer or basic')
    return
  }
  if (auth.bearer !== undefined) checkSecret(p, [...at, 'bearer'], auth.bearer)
  if (auth.basic !== undefined) checkSecret(p, [...at, 'basic', 'password'], auth.basic.password)
}

function checkAddress(p: DocumentProblems, at: Path, address: string): void {
  if (address.includes('{{')) return
  let url: URL
  try {
    url = new URL(address)
  } catch {
    p.add(at, `${quote(address)} is not a URL; give e.g. http://127.0.0.1:9090`)
    return
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    p.add(at, `${quote(address)} is not an http or https URL`)
}

function checkPrometheus(
  p: DocumentProblems,
  at: Path,
  m: MetricSpec,
  prom: PrometheusSpec,
  args: ReadonlyMap<string, string | undefined>,
): void {
  checkAddress(p, [...at, 'address'], prom.address)
  checkAuth(p, [...at, 'auth'], prom.auth)
  checkDuration(p, [...at, 'timeout'], prom.timeout)
  for (const [k, v] of Object.entries(prom.headers ?? {}))
    checkVariables(p, [...at, 'headers', k], String(v), false)
  if ((prom.query === undefined) === (prom.traffic === undefined)) {
    p.add(
      at,
      'give exactly one of query (one value per measurement) or traffic (per-version counts for the sequential judge)',
    )
    return
  }
  if (prom.query !== undefined) {
    checkQuery(p, [...at, 'query'], prom.query, args, false)
    if (prom.rangeQuery !== undefined) {
      checkDuration(p, [...at, 'rangeQuery', 'duration'], prom.rangeQuery.duration)
      checkDuration(p, [...at, 'rangeQuery', 'step'], prom.rangeQuery.step)
    }
    return
  }
  const t = prom.traffic
  if (t === undefined) return
  if (prom.rangeQuery !== undefined)
    p.add([...at, 'rangeQuery'], 'a traffic metric reads counters, not a range: remove rangeQuery')
  const tp = [...at, 'traffic']
  const quantity = trafficQuantity(m, t)
  if (quantity === undefined)
    p.add(
      t.metric === undefined ? [...tp] : [...tp, 'metric'],
      `a traffic metric measures one of ${BUILTIN_METRIC_NAMES.join(', ')}: name the metric so, or give traffic.metric`,
    )
  const set = t.querySet === undefined ? undefined : QUERY_SETS[t.querySet]
  for (const key of ['canary', 'stable', 'requests', 'errors'] as const) {
    const own = t[key]
    const fromSet =
      set === undefined
        ? undefined
        : key === 'canary' || key === 'stable'
          ? set.selectors[key]
          : set[key]
    if (own === undefined && fromSet === undefined)
      p.add(tp, `needs ${key} (or a querySet: ${Object.keys(QUERY_SETS).join(', ')})`)
  }
  const needsBuckets = quantity?.startsWith('latency-p') ?? false
  if (needsBuckets && t.latencyBuckets === undefined && set === undefined)
    p.add(
      tp,
      `${quantity ?? 'latency'} needs latencyBuckets (sum by (le) of a histogram's buckets)`,
    )
  if (quantity === 'latency-mean' && t.latencySum === undefined && set === undefined)
    p.add(tp, 'latency-mean needs latencySum (the sum of a histogram)')
  for (const key of ['canary', 'stable'] as const) {
    const own = t[key]
    if (own === undefined) continue
    checkVariables(p, [...tp, key], own, false)
    const filled = fillVariables(fillArgs(own, args, '0'), PLACEHOLDERS)
    if (checkPromqlSyntax(`kanari_placeholder{${filled}}`) !== undefined)
      p.add(
        [...tp, key],
        `not PromQL label matchers: give them as inside braces, e.g. deployment="checkout-primary", namespace="shop"`,
      )
  }
  for (const key of ['requests', 'errors', 'latencyBuckets', 'latencySum'] as const) {
    const own = t[key]
    if (own === undefined) continue
    checkQuery(p, [...tp, key], own, args, true)
    if (!variableNames(own).includes(SELECTOR_VARIABLE))
      p.add(
        [...tp, key],
        'uses no {{ selector }}: it would count both versions together; put {{ selector }} inside the braces of its series',
      )
  }
}

function checkJsonPath(p: DocumentProblems, at: Path, path: string): void {
  const bare = /^\{(.*)\}$/s.exec(path.trim())?.[1] ?? path
  try {
    jsonPathQuery({}, bare)
  } catch (err) {
    p.add(
      at,
      `not a JSONPath (RFC 9535) expression: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; e.g. $.data.errorRate`,
    )
  }
}

export function checkMetricProvider(
  p: DocumentProblems,
  at: Path,
  m: MetricSpec,
  args: ReadonlyMap<string, string | undefined>,
): void {
  const prov = m.provider
  if (prov?.prometheus !== undefined)
    checkPrometheus(p, [...at, 'provider', 'prometheus'], m, prov.prometheus, args)
  if (prov?.web !== undefined) {
    const w = [...at, 'provider', 'web']
    checkDuration(p, [...w, 'timeout'], prov.web.timeout)
    checkAuth(p, [...w, 'auth'], prov.web.auth)
    checkVariables(p, [...w, 'url'], prov.web.url, false)
    if (!prov.web.url.includes('{{')) checkAddress(p, [...w, 'url'], prov.web.url)
    if (prov.web.body !== undefined) checkVariables(p, [...w, 'body'], prov.web.body, false)
    if (prov.web.body !== undefined && prov.web.jsonBody !== undefined)
      p.add(w, 'give body or jsonBody, not both')
    if (prov.web.method === 'GET' && (prov.web.body ?? prov.web.jsonBody) !== undefined)
      p.add([...w, 'method'], 'a GET sends no body: use POST, or remove the body')
    for (const [k, v] of Object.entries(prov.web.headers ?? {}))
      checkVariables(p, [...w, 'headers', k], String(v), false)
    checkJsonPath(p, [...w, 'jsonPath'], prov.web.jsonPath)
  }
  if (prov?.job !== undefined) {
    const j = [...at, 'provider', 'job']
    checkDuration(p, [...j, 'timeout'], prov.job.timeout)
    checkVariables(p, [...j, 'image'], prov.job.image, false)
    prov.job.command.forEach((arg, i) => checkVariables(p, [...j, 'command', i], arg, false))
  }
  if (prov?.command !== undefined) {
    const c = [...at, 'provider', 'command']
    checkDuration(p, [...c, 'timeout'], prov.command.timeout)
    prov.command.command.forEach((arg, i) => checkVariables(p, [...c, 'command', i], arg, false))
    if (prov.command.command[0] === '') p.add([...c, 'command', 0], 'the program to run is empty')
  }
}
