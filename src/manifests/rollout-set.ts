/**
 * A set of manifests from files (Rollouts and the AnalysisTemplates they use): loaded, validated
 * together, and turned into engine plans. The CLI, the simulator and the daemon all read specs here.
 */
import { stringify } from 'yaml'
import { ValidationError } from '../errors.js'
import type { RolloutPlan } from '../engine/plan.js'
import { loadDocuments, type LoadedDocument } from '../spec/load.js'
import { normalizeRollout, rolloutTemplateHash } from '../spec/normalize/index.js'
import { formatProblem, type SpecProblem } from '../spec/problems.js'
import {
  AnalysisTemplateSchema,
  RolloutSchema,
  type AnalysisTemplate,
  type Rollout,
} from '../spec/schema.js'
import { validateDocuments } from '../spec/validate/index.js'
import { passes } from '../spec/validate/sound-parts.js'

/** The name a manifest read from standard input goes by (`-f -`). */
export const STDIN_NAME = '<stdin>'

export interface SourceFile {
  name: string
  text: string
}

/** The documents of a set; `rollouts` and `templates` only those that pass their schema. */
export interface RolloutSet {
  rollouts: { doc: Rollout; file: string }[]
  templates: AnalysisTemplate[]
  documents: LoadedDocument[]
}

/** Loads and validates; returns the problems instead of throwing. */
export function checkRolloutSet(files: SourceFile[]): { set: RolloutSet; problems: SpecProblem[] } {
  const documents: LoadedDocument[] = []
  const problems: SpecProblem[] = []
  for (const f of files) {
    const loaded = loadDocuments(f.text, f.name)
    documents.push(...loaded.documents)
    problems.push(...loaded.problems)
    if (loaded.documents.length === 0 && loaded.problems.length === 0)
      problems.push({ file: f.name, line: 1, path: '', message: 'has no documents' })
  }
  problems.push(...validateDocuments(documents))
  // Only documents that pass their schema are typed as such; the others are in `problems`.
  const rollouts: RolloutSet['rollouts'] = []
  const templates: AnalysisTemplate[] = []
  for (const { value, file } of documents) {
    if (passes(RolloutSchema, value) && value.kind === 'Rollout')
      rollouts.push({ doc: value, file })
    if (passes(AnalysisTemplateSchema, value) && value.kind === 'AnalysisTemplate')
      templates.push(value)
  }
  return { set: { rollouts, templates, documents }, problems }
}

/** Loads and validates; throws a ValidationError listing every problem. */
export function parseRolloutSet(files: SourceFile[]): RolloutSet {
  const { set, problems } = checkRolloutSet(files)
  if (problems.length > 0) {
    throw new ValidationError(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${[...new Set(problems.map((p) => p.file))].join(', ')}:\n  ${problems.map(formatProblem).join('\n  ')}`,
      {
        hint: 'fix them and apply again; nothing was changed',
        details: problems,
      },
    )
  }
  return set
}

export function planFor(doc: Rollout, templates: unknown[], revision: number): RolloutPlan {
  return normalizeRollout(doc, templates as AnalysisTemplate[], { revision })
}

export function templateHash(doc: Pick<Rollout, 'spec'>): string {
  return rolloutTemplateHash(doc)
}

/** Manifests as one multi-document YAML file (for re-applying a stored spec). */
export function toSourceFile(name: string, docs: unknown[]): SourceFile {
  return { name, text: docs.map((d) => stringify(d)).join('---\n') }
}
