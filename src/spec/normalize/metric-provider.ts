/** A metric's provider as the plan wants it: one kind, defaults applied, timeouts in seconds. */
import type { MetricProviderPlan } from '../../analysis/types.js'
import { seconds } from '../duration.js'
import type { MetricSpec } from '../schema.js'

/** No provider means a builtin metric by the metric's own name. */
export function providerPlan(m: MetricSpec): MetricProviderPlan {
  const p = m.provider
  if (p?.prometheus !== undefined) {
    return {
      kind: 'prometheus',
      address: p.prometheus.address,
      query: p.prometheus.query,
      ...(p.prometheus.timeout === undefined
        ? {}
        : { timeoutSeconds: seconds(p.prometheus.timeout, 10) }),
    }
  }
  if (p?.web !== undefined) {
    return {
      kind: 'web',
      url: p.web.url,
      method: p.web.method ?? 'GET',
      headers: (p.web.headers ?? {}) as Record<string, string>,
      ...(p.web.body === undefined ? {} : { body: p.web.body }),
      jsonPath: p.web.jsonPath,
      ...(p.web.timeout === undefined ? {} : { timeoutSeconds: seconds(p.web.timeout, 10) }),
    }
  }
  if (p?.command !== undefined)
    return {
      kind: 'command',
      command: p.command.command,
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
