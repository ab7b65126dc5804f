/**
 * The user's pod template, read and rewritten: which ConfigMaps and Secrets it references (a change
 * of one of them is a new revision, as a change of the template is), the revision hash of template
 * plus configuration, and the primary's copy — selector labels suffixed `-primary`, configuration
 * references pointed at the primary's own copies — so the primary never shares anything the user's
 * next change could touch.
 */
import { createHash } from 'node:crypto'

export type PodTemplate = {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }
  spec?: Record<string, unknown>
} & Record<string, unknown>

export interface ConfigRefs {
  configMaps: string[]
  secrets: string[]
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v)

function containersOf(spec: Json): Json[] {
  const all: Json[] = []
  for (const key of ['initContainers', 'containers', 'ephemeralContainers'])
    if (Array.isArray(spec[key])) all.push(...(spec[key] as unknown[]).filter(isObject))
  return all
}

/**
 * Visits every ConfigMap and Secret reference of a pod spec (volumes, projected volumes, envFrom,
 * env valueFrom); `rename` may return a new name to write in its place.
 */
function visitConfigRefs(
  spec: Json,
  visit: (kind: 'configMap' | 'secret', name: string) => string | undefined,
): void {
  const swap = (holder: Json, field: string, kind: 'configMap' | 'secret'): void => {
    const name = holder[field]
    if (typeof name !== 'string' || name === '') return
    const renamed = visit(kind, name)
    if (renamed !== undefined) holder[field] = renamed
  }
  for (const volume of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (!isObject(volume)) continue
    if (isObject(volume.configMap)) swap(volume.configMap, 'name', 'configMap')
    if (isObject(volume.secret)) swap(volume.secret, 'secretName', 'secret')
    const projected = isObject(volume.projected) ? volume.projected.sources : undefined
    for (const source of Array.isArray(projected) ? projected : []) {
      if (!isObject(source)) continue
      if (isObject(source.configMap)) swap(source.configMap, 'name', 'configMap')
      if (isObject(source.secret)) swap(source.secret, 'name', 'secret')
    }
  }
  for (const container of containersOf(spec)) {
    for (const from of Array.isArray(container.envFrom) ? container.envFrom : []) {
      if (!isObject(from)) continue
      if (isObject(from.configMapRef)) swap(from.configMapRef, 'name', 'configMap')
      if (isObject(from.secretRef)) swap(from.secretRef, 'name', 'secret')
    }
    for (const env of Array.isArray(container.env) ? container.env : []) {
      if (!isObject(env) || !isObject(env.valueFrom)) continue
      if (isObject(env.valueFrom.configMapKeyRef))
        swap(env.valueFrom.configMapKeyRef, 'name', 'configMap')
      if (isObject(env.valueFrom.secretKeyRef)) swap(env.valueFrom.secretKeyRef, 'name', 'secret')
    }
  }
}

export function configRefsOf(template: PodTemplate): ConfigRefs {
  const configMaps = new Set<string>()
  const secrets = new Set<string>()
  if (isObject(template.spec))
    visitConfigRefs(structuredClone(template.spec), (kind, name) => {
      ;(kind === 'configMap' ? configMaps : secrets).add(name)
      return undefined
    })
  return { configMaps: [...configMaps].sort(), secrets: [...secrets].sort() }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (isObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    )
  return value
}

/**
 * The revision hash: the pod template and the data of every ConfigMap and Secret it references
 * (absent ones as absent). Secrets enter only through the hash.
 */
export function revisionHash(
  template: PodTemplate,
  configs: { configMaps: Record<string, unknown>; secrets: Record<string, unknown> },
): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical({ template, configs })))
    .digest('hex')
    .slice(0, 16)
}

/** The name of the primary's copy of a ConfigMap or Secret. */
export function primaryConfigName(name: string): string {
  return `${name}-primary`
}

/** Labels with every selector label's value suffixed `-primary` (Flagger's convention). */
export function primaryLabels(
  labels: Record<string, string>,
  selector: Record<string, string>,
): Record<string, string> {
  const out = { ...labels }
  for (const [k, v] of Object.entries(selector)) out[k] = `${v}-primary`
  return out
}

/** The primary's pod template: selector labels rewritten, configuration references to the copies. */
export function primaryTemplate(
  template: PodTemplate,
  selector: Record<string, string>,
  extraAnnotations: Record<string, string>,
): PodTemplate {
  const copy = structuredClone(template)
  const metadata = copy.metadata ?? {}
  metadata.labels = primaryLabels(metadata.labels ?? {}, selector)
  metadata.annotations = { ...metadata.annotations, ...extraAnnotations }
  copy.metadata = metadata
  if (isObject(copy.spec)) visitConfigRefs(copy.spec, (_kind, name) => primaryConfigName(name))
  return copy
}
