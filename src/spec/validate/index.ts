/**
 * Validation of a set of manifests — schema, unknown fields, and the rules a schema cannot say — with
 * every problem returned at once, each with file, line and path. The rules live beside this file.
 */
import type { LoadedDocument } from '../load.js'
import type { SpecProblem } from '../problems.js'
import { API_VERSION, type AnalysisTemplate, type Rollout } from '../schema.js'
import type { TemplateIndex } from './analysis.js'
import { DocumentProblems } from './document-problems.js'
import { checkMetrics } from './metrics.js'
import { checkRollout } from './rollout.js'
import { checkSchema, isSchemaKind } from './schema-check.js'

/** Validates a set of loaded documents together (Rollouts may use the set's AnalysisTemplates). */
export function validateDocuments(docs: LoadedDocument[]): SpecProblem[] {
  const problems: SpecProblem[] = []
  const templateDocs = new Map<string, AnalysisTemplate>()
  const checked: { doc: LoadedDocument; p: DocumentProblems; kind: string }[] = []
  for (const doc of docs) {
    const p = new DocumentProblems(doc)
    checked.push({ doc, p, kind: '' })
    const v = doc.value as Record<string, unknown> | null
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      p.add([], 'must be a mapping with apiVersion, kind, metadata and spec')
      continue
    }
    const kind = v.kind
    if (!isSchemaKind(kind)) {
      p.add(
        ['kind'],
        `unknown kind ${JSON.stringify(kind ?? null)}; Kanari reads Rollout and AnalysisTemplate (Argo or Flagger manifests: convert them first)`,
      )
      continue
    }
    if (v.apiVersion !== API_VERSION)
      p.add(['apiVersion'], `must be ${API_VERSION} (got ${JSON.stringify(v.apiVersion ?? null)})`)
    checkSchema(p, kind, v)
    checked[checked.length - 1] = { doc, p, kind }
    if (kind === 'AnalysisTemplate') {
      const t = v as unknown as AnalysisTemplate
      if (templateDocs.has(t.metadata.name))
        p.add(['metadata', 'name'], `a second AnalysisTemplate named "${t.metadata.name}"`)
      templateDocs.set(t.metadata.name, t)
      checkMetrics(
        p,
        ['spec', 'metrics'],
        t.spec.metrics,
        new Set((t.spec.args ?? []).map((a) => a.name)),
      )
    }
  }
  const index: TemplateIndex = {
    get: (n) => templateDocs.get(n),
    names: () => [...templateDocs.keys()],
  }
  const rolloutNames = new Set<string>()
  for (const { doc, p, kind } of checked) {
    if (kind === 'Rollout') {
      const r = doc.value as Rollout
      if (rolloutNames.has(r.metadata.name))
        p.add(['metadata', 'name'], `a second Rollout named "${r.metadata.name}"`)
      rolloutNames.add(r.metadata.name)
      // The rules beyond the schema run even when the schema found problems, so every problem is
      // reported at once; a shape too broken to walk has already been reported by the schema.
      try {
        checkRollout(p, r, index)
      } catch (err) {
        if (p.list.length === 0) throw err
      }
    }
    problems.push(...p.list)
  }
  return problems
}
