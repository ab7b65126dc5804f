/**
 * The envelope every manifest shares, checked before its kind's schema: a mapping, a kind Kanari
 * reads and Kanari's apiVersion. Anything else stops there, with one problem that says what it got.
 */
import { API_VERSION } from '../schema.js'
import { describeValue, quote } from '../shown-value.js'
import type { DocumentProblems } from './document-problems.js'
import { isSchemaKind, type SchemaKind } from './schema-check.js'

/** The kind of a document Kanari reads; undefined (with the problem added) for any other. */
export function checkEnvelope(p: DocumentProblems, value: unknown): SchemaKind | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    p.add(
      [],
      `must be a mapping with apiVersion, kind, metadata and spec (got ${describeValue(value)})`,
    )
    return undefined
  }
  const fields = value as Record<string, unknown>
  const kind = fields.kind
  if (!isSchemaKind(kind)) {
    p.add(
      ['kind'],
      kind === undefined || kind === null
        ? 'is required: Rollout or AnalysisTemplate'
        : typeof kind === 'string'
          ? `unknown kind ${quote(kind)}; Kanari reads Rollout and AnalysisTemplate (Argo Rollouts or Flagger manifests: convert them with \`kanari import -f FILE\`)`
          : `must be Rollout or AnalysisTemplate (got ${describeValue(kind)})`,
    )
    return undefined
  }
  if (fields.apiVersion !== API_VERSION)
    p.add(
      ['apiVersion'],
      fields.apiVersion === undefined || fields.apiVersion === null
        ? `is required: add apiVersion: ${API_VERSION}`
        : `must be ${API_VERSION} (got ${describeValue(fields.apiVersion)})${foreign(fields.apiVersion)}`,
    )
  return kind
}

/** For an Argo Rollouts or Flagger manifest, how to turn it into Kanari's. */
function foreign(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return ''
  const project = apiVersion.startsWith('argoproj.io/')
    ? 'Argo Rollouts'
    : apiVersion.startsWith('flagger.app/')
      ? 'Flagger'
      : undefined
  return project === undefined
    ? ''
    : `: this is a ${project} manifest; convert it with \`kanari import -f FILE\``
}
