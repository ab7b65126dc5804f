/**
 * PromQL syntax, checked with Prometheus' own grammar (lezer-promql) so that `kanari lint` refuses a
 * query Prometheus would refuse, before any rollout depends on it. Syntax only: whether the series
 * exist is for Prometheus to say.
 */
import { parser } from '@prometheus-io/lezer-promql'

/** Why `query` does not parse as PromQL, with the place; undefined when it does. */
export function checkPromqlSyntax(query: string): string | undefined {
  if (query.trim() === '') return 'the query is empty'
  const tree = parser.parse(query)
  let at: number | undefined
  tree.iterate({
    enter: (node) => {
      if (at === undefined && node.type.isError) at = node.from
      return at === undefined
    },
  })
  if (at === undefined) return undefined
  const before = query.slice(Math.max(0, at - 30), at)
  const after = query.slice(at, at + 20)
  const where =
    at >= query.length
      ? `it ends too early, after "${before.trimStart()}"`
      : `at column ${at + 1}, near "${before.trimStart()}" ⟨here⟩ "${after.trimEnd()}"`
  return `not valid PromQL: ${where}`
}
