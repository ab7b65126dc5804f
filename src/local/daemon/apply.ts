/**
 * `kanari apply` in the daemon: which revision each Rollout gets, checked before anything is
 * stored (bad input changes nothing), then stored and handed to the rollout's controller.
 */
import { ConflictError, InputError } from '../../errors.js'
import { initialStatus, type RolloutStatus } from '../../engine/status.js'
import {
  parseRolloutSet,
  planFor,
  templateHash,
  type RolloutSet,
  type SourceFile,
} from '../../manifests/rollout-set.js'
import type { FlagService } from '../flags/flag-service.js'
import type { StateStore, StoredSpec } from '../store/index.js'
import type { AppliedRollout } from './api/schemas.js'
import {
  checkNotificationSecrets,
  checkProviderSecrets,
  checkRunsLocally,
  manifestDir,
} from './apply-checks.js'
import type { RolloutController } from './rollout-controller.js'
import { controllerConfig } from './stored-rollout.js'
import { assignRevision } from '../../controller/revisions.js'

/** What applying needs from the daemon. */
export interface ApplyHost {
  readonly store: StateStore
  /** The flags a flag rollout moves. */
  readonly flags: FlagService
  readonly controllers: ReadonlyMap<string, RolloutController>
  /** Creates, registers and starts the controller of a rollout the daemon does not run yet. */
  startController(
    name: string,
    spec: StoredSpec,
    revision: number,
    status: RolloutStatus,
  ): Promise<void>
}

/** Refuses the whole set if any Rollout cannot run locally or takes another rollout's port. */
function checkLocal(host: ApplyHost, set: RolloutSet): void {
  checkRunsLocally(set)
  for (const { doc } of set.rollouts) {
    const name = doc.metadata.name
    const { flag } = doc.spec.workload
    if (flag !== undefined) {
      checkFlag(host, name, flag)
      continue
    }
    const port = doc.spec.service?.port ?? 0
    for (const [other, c] of host.controllers) {
      if (other !== name && port !== 0 && c.servicePort === port) {
        throw new ConflictError(
          `rollout ${name}: spec.service.port ${port} is already used by rollout ${other}`,
          { hint: 'pick another port' },
        )
      }
    }
  }
}

/** A flag rollout needs its flag served, with the variant it releases. */
function checkFlag(host: ApplyHost, name: string, flag: { key: string; variant: string }): void {
  const definition = host.flags.flagSet.definition(flag.key)
  if (definition === undefined)
    throw new InputError(
      `rollout ${name}: spec.workload.flag.key: flag ${flag.key} is not served`,
      {
        hint: 'add it first (`kanari flags watch -f FILE` or `kanari flags set`), then apply again',
      },
    )
  if (!Object.hasOwn(definition.variants, flag.variant))
    throw new InputError(
      `rollout ${name}: spec.workload.flag.variant: flag ${flag.key} has no variant ${flag.variant}`,
      { hint: `its variants: ${Object.keys(definition.variants).join(', ')}` },
    )
  for (const [other, c] of host.controllers)
    if (other !== name && c.flagKey === flag.key)
      throw new ConflictError(
        `rollout ${name}: flag ${flag.key} is already rolled out by rollout ${other}`,
        {
          hint: 'one rollout moves a flag at a time',
        },
      )
}

/** Applies Rollouts (and their AnalysisTemplates): a changed workload makes a new revision. */
export async function applyManifests(
  host: ApplyHost,
  files: SourceFile[],
  baseDir: string,
): Promise<AppliedRollout[]> {
  const { store } = host
  const set = parseRolloutSet(files)
  checkLocal(host, set)
  checkNotificationSecrets(set, baseDir)
  await checkProviderSecrets(set)
  const results: AppliedRollout[] = []
  for (const { doc, file } of set.rollouts) {
    const name = doc.metadata.name
    // Paths in a process workload are relative to the manifest's own directory (stdin: the caller's).
    const dir = manifestDir(file, baseDir)
    const spec: StoredSpec = { doc, templates: set.templates, baseDir: dir }
    const hash = templateHash(doc)
    const existing = store.rollouts.get(name)
    const { revision, result } = assignRevision(
      {
        current: existing?.revision,
        stable: existing?.status.stableRevision ?? null,
        revisions: existing === undefined ? [] : store.revisions.list(name),
      },
      hash,
      existing !== undefined && JSON.stringify(existing.spec.doc) !== JSON.stringify(doc),
    )
    // Validate the plan before storing anything: bad input changes nothing.
    planFor(doc, set.templates, revision)
    if (!store.revisions.list(name).some((r) => r.revision === revision))
      store.revisions.put(name, revision, doc.spec.workload, hash)
    const status = existing === undefined ? initialStatus() : existing.status
    store.rollouts.put({ name, spec, templates: set.templates, revision, status })
    const controller = host.controllers.get(name)
    try {
      if (controller === undefined) await host.startController(name, spec, revision, status)
      else await controller.update(controllerConfig(store, name, spec, revision))
    } catch (err) {
      // Nothing half-done: a rollout that cannot run (its port is taken…) is not kept.
      if (existing === undefined) store.deleteRollout(name)
      else store.rollouts.put(existing)
      throw err
    }
    results.push({ name, revision, result })
  }
  return results
}
