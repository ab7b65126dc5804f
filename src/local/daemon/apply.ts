/**
 * `kanari apply` in the daemon: which revision each Rollout gets, checked before anything is
 * stored (bad input changes nothing), then stored and handed to the rollout's controller.
 */
import { dirname, resolve } from 'node:path'
import { ConflictError, InputError } from '../../errors.js'
import { initialStatus, type RolloutStatus } from '../../engine/status.js'
import {
  parseRolloutSet,
  planFor,
  STDIN_NAME,
  templateHash,
  type RolloutSet,
  type SourceFile,
} from '../../manifests/rollout-set.js'
import { readWebhookUrl, SecretError } from '../../notify/index.js'
import { secretSource } from '../../spec/normalize/index.js'
import type { StateStore } from '../store/index.js'
import type { AppliedRollout } from './api/schemas.js'
import type { RolloutController } from './rollout-controller.js'
import { controllerConfig, type StoredSpec } from './stored-rollout.js'
import { assignRevision } from '../../controller/revisions.js'

/** What applying needs from the daemon. */
export interface ApplyHost {
  readonly store: StateStore
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
  for (const { doc } of set.rollouts) {
    const name = doc.metadata.name
    if (doc.spec.workload.process === undefined) {
      throw new InputError(
        `rollout ${name}: spec.workload.process is required in local mode (targetRef workloads need Kubernetes)`,
      )
    }
    for (const [other, c] of host.controllers) {
      if (
        other !== name &&
        doc.spec.service.port !== 0 &&
        c.servicePort === doc.spec.service.port
      ) {
        throw new ConflictError(
          `rollout ${name}: spec.service.port ${doc.spec.service.port} is already used by rollout ${other}`,
          { hint: 'pick another port' },
        )
      }
    }
  }
}

/** The directory relative paths of a manifest start from (stdin: the caller's). */
function manifestDir(file: string, baseDir: string): string {
  return file === STDIN_NAME ? baseDir : dirname(resolve(baseDir, file))
}

/**
 * Refuses the whole set if a notification's webhook URL cannot be read where its spec says (a
 * variable this daemon was not given, a missing file): better now than a silent failure later.
 */
function checkNotificationSecrets(set: RolloutSet, baseDir: string): void {
  for (const { doc, file } of set.rollouts) {
    for (const [i, n] of (doc.spec.notifications ?? []).entries()) {
      try {
        readWebhookUrl(secretSource(n.urlFrom), manifestDir(file, baseDir))
      } catch (err) {
        if (!(err instanceof SecretError)) throw err
        throw new InputError(
          `rollout ${doc.metadata.name}: spec.notifications[${i}] (${n.name ?? n.provider}): ${err.message}`,
          { hint: `${err.hint}; nothing was changed` },
        )
      }
    }
  }
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
  const results: AppliedRollout[] = []
  for (const { doc, file } of set.rollouts) {
    const name = doc.metadata.name
    // Paths in a process workload are relative to the manifest's own directory (stdin: the caller's).
    const dir = manifestDir(file, baseDir)
    const spec: StoredSpec = { doc, templates: set.templates, baseDir: dir }
    const hash = templateHash(doc)
    const existing = store.getRollout(name)
    const { revision, result } = assignRevision(
      {
        current: existing?.revision,
        stable: (existing?.status as RolloutStatus | undefined)?.stableRevision ?? null,
        revisions: existing === undefined ? [] : store.getRevisions(name),
      },
      hash,
      existing !== undefined &&
        JSON.stringify((existing.spec as StoredSpec).doc) !== JSON.stringify(doc),
    )
    // Validate the plan before storing anything: bad input changes nothing.
    planFor(doc, set.templates, revision)
    if (!store.getRevisions(name).some((r) => r.revision === revision))
      store.putRevision(name, revision, doc.spec.workload, hash)
    const status = existing === undefined ? initialStatus() : (existing.status as RolloutStatus)
    store.putRollout({ name, spec, templates: set.templates, revision, status })
    const controller = host.controllers.get(name)
    try {
      if (controller === undefined) await host.startController(name, spec, revision, status)
      else await controller.update(controllerConfig(store, name, spec, revision))
    } catch (err) {
      // Nothing half-done: a rollout that cannot run (its port is taken…) is not kept.
      if (existing === undefined) store.deleteRollout(name)
      else store.putRollout(existing)
      throw err
    }
    results.push({ name, revision, result })
  }
  return results
}
