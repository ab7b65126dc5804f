/**
 * Validation of a set of manifests — envelope, schema, unknown fields, and the rules a schema cannot
 * say — with every problem returned at once, each with file, line and path. The rules live beside
 * this file, and read only the parts of a document that passed the schema (./sound-parts.ts).
 */
import type { LoadedDocument } from '../load.js'
import type { SpecProblem } from '../problems.js'
import { AnalysisTemplateSchema, RolloutSchema, type AnalysisTemplate } from '../schema.js'
import type { TemplateIndex } from './analysis.js'
import { checkAnalysisTemplate } from './analysis-template.js'
import { DocumentProblems } from './document-problems.js'
import { checkEnvelope } from './envelope.js'
import { checkRollout } from './rollout.js'
import { checkSchema } from './schema-check.js'
import { passes, soundSections } from './sound-parts.js'
import { UniqueNames } from './unique-names.js'

/** Validates a set of loaded documents together (Rollouts may use the set's AnalysisTemplates). */
export function validateDocuments(docs: LoadedDocument[]): SpecProblem[] {
  const checked = docs.map((doc) => {
    const p = new DocumentProblems(doc)
    const kind = checkEnvelope(p, doc.value)
    if (kind !== undefined) checkSchema(p, kind, doc.value)
    return { doc, p, kind }
  })
  const names = new UniqueNames()
  // Templates first: a Rollout may use one from any file of the set.
  const templates = new Map<string, AnalysisTemplate | 'invalid'>()
  for (const { doc, p, kind } of checked) {
    if (kind !== 'AnalysisTemplate') continue
    const t = soundSections(AnalysisTemplateSchema, doc.value)
    const name = t?.sound.metadata?.name
    if (name !== undefined) {
      names.claim(p, kind, name)
      if (!templates.has(name))
        templates.set(name, passes(AnalysisTemplateSchema, doc.value) ? doc.value : 'invalid')
    }
    checkAnalysisTemplate(p, t?.part('spec'))
  }
  const index: TemplateIndex = {
    get: (n) => templates.get(n),
    names: () => [...templates.keys()],
  }
  for (const { doc, p, kind } of checked) {
    if (kind !== 'Rollout') continue
    const r = soundSections(RolloutSchema, doc.value)
    const name = r?.sound.metadata?.name
    if (name !== undefined) names.claim(p, kind, name)
    checkRollout(p, r?.part('spec'), index)
  }
  return checked.flatMap(({ p }) => p.list)
}
