/**
 * The controller configuration built from a rollout's stored spec (the document, its analysis
 * templates, the directory it was applied from) for one revision.
 */
import { planFor } from '../../manifests/rollout-set.js'
import type { StateStore, StoredSpec } from '../store/index.js'
import type { ControllerConfig } from './rollout-controller.js'
import { processTemplate, type ProcessTemplate } from './rollout-document.js'

/** The workload template of every stored revision of `name`, as the supervisor runs it. */
function templatesOf(
  store: StateStore,
  name: string,
  baseDir: string,
): Map<number, ProcessTemplate> {
  const out = new Map<number, ProcessTemplate>()
  for (const r of store.revisions.list(name)) {
    const t = processTemplate(r.template, baseDir)
    if (t !== undefined) out.set(r.revision, t)
  }
  return out
}

/** The flag variant every stored revision of a flag rollout releases. */
function variantsOf(store: StateStore, name: string): Map<number, string> {
  const out = new Map<number, string>()
  for (const r of store.revisions.list(name)) {
    const variant = r.template.flag?.variant
    if (variant !== undefined) out.set(r.revision, variant)
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
  const flag = spec.doc.spec.workload.flag
  return {
    ...(flag === undefined ? {} : { flag: { key: flag.key, variants: variantsOf(store, name) } }),
    name,
    plan: planFor(spec.doc, spec.templates, revision),
    servicePort: spec.doc.spec.service?.port ?? 0,
    ...(sticky === undefined ? {} : { sticky }),
    templates: templatesOf(store, name, spec.baseDir),
    baseDir: spec.baseDir,
  }
}
