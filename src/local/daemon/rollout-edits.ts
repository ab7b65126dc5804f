/**
 * The manifests `kanari undo` and `kanari set env` apply: the stored Rollout with an earlier
 * revision's workload, or with its process environment changed. Applying them makes a new revision.
 */
import { ConflictError, InputError, NotFoundError } from '../../errors.js'
import type { RolloutStatus } from '../../engine/status.js'
import { toSourceFile, type SourceFile } from '../../manifests/rollout-set.js'
import type { StateStore, StoredSpec } from '../store/index.js'
import {
  chooseUndoTarget,
  revisionOutcomes,
  type RevisionOutcome,
  type UndoRefusal,
} from './undo-target.js'

/** Files to apply and the directory they are applied from. */
export interface Edit {
  files: SourceFile[]
  baseDir: string
}

function storedSpec(store: StateStore, name: string): { spec: StoredSpec; revision: number } {
  const stored = store.rollouts.get(name)
  if (stored === undefined) throw new NotFoundError(`rollout ${name} not found`)
  return { spec: stored.spec, revision: stored.revision }
}

/** What `kanari undo` was asked: a revision by number (default: the last healthy one), forced or not. */
export interface UndoRequest {
  toRevision?: number | undefined
  force?: boolean | undefined
}

/** Every stored revision of `name` with how its last release ended. */
export function storedRevisionOutcomes(
  store: StateStore,
  name: string,
  stableRevision: number | null,
): RevisionOutcome[] {
  return revisionOutcomes(
    store.revisions.list(name).map((r) => r.revision),
    store.events.list(name, { limit: Number.MAX_SAFE_INTEGER }),
    stableRevision,
  )
}

function refusal(name: string, r: UndoRefusal): Error {
  switch (r.problem) {
    case 'unknown-revision':
      return new InputError(`rollout ${name} has no revision ${r.revision}`, {
        hint: `known revisions: ${r.known.join(', ')}`,
      })
    case 'no-healthy-revision':
      return new ConflictError(
        `rollout ${name} has no earlier revision that was promoted and healthy to undo to`,
        {
          hint:
            r.rolledBack.length === 0
              ? 'nothing to undo'
              : `rolled back: ${r.rolledBack.map((n) => `revision ${n}`).join(', ')}; to release one again anyway: \`kanari undo ${name} --to-revision N --force\``,
        },
      )
    case 'rolled-back':
      return new ConflictError(
        `revision ${r.revision} of rollout ${name} was rolled back (${r.explanation}); undo would send users to it again`,
        {
          hint: `to release it again anyway add --force (API: "force": true); \`kanari undo ${name}\` goes back to the last healthy revision`,
        },
      )
  }
}

/** Rolls out the chosen revision's workload again (default: the last promoted and healthy one). */
export function undoEdit(
  store: StateStore,
  name: string,
  status: Pick<RolloutStatus, 'phase' | 'stableRevision'>,
  request: UndoRequest,
): Edit {
  const { spec, revision: current } = storedSpec(store, name)
  const outcomes = storedRevisionOutcomes(store, name, status.stableRevision)
  const chosen = chooseUndoTarget(outcomes, current, request.toRevision, request.force === true)
  if ('problem' in chosen) throw refusal(name, chosen)
  if (status.phase === 'Initializing')
    throw new ConflictError(
      `rollout ${name} is still deploying its first revision; nothing to undo`,
    )
  const template = store.revisions.list(name).find((r) => r.revision === chosen.revision)
  if (template === undefined)
    throw refusal(name, {
      problem: 'unknown-revision',
      revision: chosen.revision,
      known: outcomes.map((o) => o.revision),
    })
  const doc = { ...spec.doc, spec: { ...spec.doc.spec, workload: template.template } }
  return {
    files: [toSourceFile(`undo-${name}.yaml`, [doc, ...spec.templates])],
    baseDir: spec.baseDir,
  }
}

/** Sets `set` and removes `unset` in the process workload's environment. */
export function setEnvEdit(
  store: StateStore,
  name: string,
  set: Record<string, string>,
  unset: string[],
): Edit {
  const { spec } = storedSpec(store, name)
  const process = spec.doc.spec.workload.process
  if (process === undefined)
    throw new InputError(`rollout ${name} has no process workload to set env on`)
  const env: Record<string, string> = { ...((process.env ?? {}) as Record<string, string>) }
  for (const [k, v] of Object.entries(set)) env[k] = v
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
  for (const k of unset) delete env[k]
  const doc = {
    ...spec.doc,
    spec: {
      ...spec.doc.spec,
      workload: { ...spec.doc.spec.workload, process: { ...process, env } },
    },
  }
  return {
    files: [toSourceFile(`set-env-${name}.yaml`, [doc, ...spec.templates])],
    baseDir: spec.baseDir,
  }
}
