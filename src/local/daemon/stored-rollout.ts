/**
 * What the store keeps as a rollout's spec (the document, its analysis templates, the directory it
 * was applied from) and the controller configuration built from it for one revision.
 */
import { planFor } from '../../manifests/rollout-set.js'
import type { Rollout } from '../../spec/schema.js'
import type { StateStore } from '../store/index.js'
import type { ControllerConfig } from './rollout-controller.js'
import { processTemplate, type ProcessTemplate, type Workload } from './rollout-document.js'

export interface StoredSpec {
  doc: Rollout
  templates: unknown[]
  /** Relative paths in the workload are resolved against this directory. */
  baseDir: string
}

/** The workload template of every stored revision of `name`, as the supervisor runs it. */
function templatesOf(
  store: StateStore,
  name: string,
  baseDir: string,
): Map<number, ProcessTemplate> {
  const out = new Map<number, ProcessTemplate>()
  for (const r of store.getRevisions(name)) {
    const t = processTemplate(r.template as Workload, baseDir)
    if (t !== undefined) out.set(r.revision, t)
  }
  return out
}

/** The controller configuration (all but the status) for `spec` at `revision`. */
export function controllerConfig(
  store: StateStore,
  name: string,
  spec: StoredSpec,
  revision: number,
): Omit<ControllerConfig, 'status'> {
  const sticky = spec.doc.spec.trafficRouting?.proxy?.stickiness
  return {
    name,
    plan: planFor(spec.doc, spec.templates, revision),
    servicePort: spec.doc.spec.service.port,
    ...(sticky === undefined ? {} : { sticky }),
    templates: templatesOf(store, name, spec.baseDir),
    baseDir: spec.baseDir,
  }
}
