/**
 * The manifests `kanari undo` and `kanari set env` apply: the stored Rollout with an earlier
 * revision's workload, or with its process environment changed. Applying them makes a new revision.
 */
import { ConflictError, InputError, NotFoundError } from '../../errors.js'
import type { Phase } from '../../engine/status.js'
import { toSourceFile, type SourceFile } from '../../manifests/rollout-set.js'
import type { StateStore } from '../store/index.js'
import type { Workload } from './rollout-document.js'
import type { StoredSpec } from './stored-rollout.js'

/** Files to apply and the directory they are applied from. */
export interface Edit {
  files: SourceFile[]
  baseDir: string
}

function storedSpec(store: StateStore, name: string): { spec: StoredSpec; revision: number } {
  const stored = store.getRollout(name)
  if (stored === undefined) throw new NotFoundError(`rollout ${name} not found`)
  return { spec: stored.spec as StoredSpec, revision: stored.revision }
}

/** Rolls out `toRevision`'s workload again (default: the latest revision before the current). */
export function undoEdit(
  store: StateStore,
  name: string,
  phase: Phase,
  toRevision: number | undefined,
): Edit {
  const revisions = store.getRevisions(name)
  const { spec, revision: current } = storedSpec(store, name)
  const target =
    toRevision ??
    revisions
      .map((r) => r.revision)
      .filter((r) => r !== current)
      .sort((a, b) => b - a)[0]
  const template = revisions.find((r) => r.revision === target)
  if (template === undefined) {
    throw new InputError(
      `rollout ${name} has no revision ${target ?? '(none before the current one)'}`,
      { hint: `known revisions: ${revisions.map((r) => r.revision).join(', ')}` },
    )
  }
  if (phase === 'Initializing')
    throw new ConflictError(
      `rollout ${name} is still deploying its first revision; nothing to undo`,
    )
  const doc = { ...spec.doc, spec: { ...spec.doc.spec, workload: template.template as Workload } }
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
