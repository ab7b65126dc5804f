/**
 * Server-side apply, as much of it as the controller relies on: each manager owns the fields it
 * last applied (or last changed by an update), recorded in `metadata.managedFields` as FieldsV1; an
 * apply that would change a field another manager owns fails with a conflict unless forced, and
 * force moves the field to the applier; fields an applier applied before and leaves out now are
 * removed when no one else owns them. Not modelled: lists are atomic (a list is one field — as a
 * CRD's lists without `x-kubernetes-list-type` are; built-in keyed lists such as containers are
 * merged by key on a real server), no defaulting, no schema, no conversion between versions.
 */
import type { KubeObject } from '../types.js'

type Json = unknown
const isObject = (v: Json): v is Record<string, Json> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/** A field path: the keys from the root, e.g. ['spec', 'replicas']. */
export type FieldPath = string[]

export interface ManagedEntry {
  manager: string
  operation: 'Apply' | 'Update'
  subresource?: string
  time: string
  fields: Set<string>
}

/** Fields the server keeps for itself: never owned, never removed by apply. */
const SERVER_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.creationTimestamp',
  'metadata.deletionTimestamp',
  'metadata.deletionGracePeriodSeconds',
  'metadata.managedFields',
])

const keyOf = (path: FieldPath): string => JSON.stringify(path)
const pathOf = (key: string): FieldPath => JSON.parse(key) as FieldPath
const dotted = (path: FieldPath): string => path.join('.')

/** Leaf fields of an object (maps are descended, lists and scalars are leaves). */
export function leafFields(value: Json, prefix: FieldPath = []): Set<string> {
  const out = new Set<string>()
  const walk = (v: Json, at: FieldPath): void => {
    if (isObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, [...at, k])
    } else if (!SERVER_FIELDS.has(dotted(at)) && at.length > 0) out.add(keyOf(at))
  }
  walk(value, prefix)
  return out
}

export function valueAt(value: Json, path: FieldPath): Json {
  let node = value
  for (const k of path) node = isObject(node) ? node[k] : undefined
  return node
}

function setAt(value: Record<string, Json>, path: FieldPath, v: Json): void {
  let node = value
  for (const k of path.slice(0, -1)) {
    if (!isObject(node[k])) node[k] = {}
    node = node[k] as Record<string, Json>
  }
  const last = path[path.length - 1]
  if (last !== undefined) node[last] = structuredClone(v)
}

function removeAt(value: Record<string, Json>, path: FieldPath): void {
  const parents: Record<string, Json>[] = []
  let node: Json = value
  for (const k of path.slice(0, -1)) {
    if (!isObject(node)) return
    parents.push(node)
    node = node[k]
  }
  const last = path[path.length - 1]
  if (!isObject(node) || last === undefined) return
  Reflect.deleteProperty(node, last)
  // Maps emptied by the removal go too (they were only there to hold the removed field).
  for (let i = parents.length - 1; i >= 0; i--) {
    const key = path[i]
    const parent = parents[i]
    if (key === undefined || parent === undefined) break
    const child = parent[key]
    if (isObject(child) && Object.keys(child).length === 0) Reflect.deleteProperty(parent, key)
    else break
  }
}

const same = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b)

export interface ApplyResult {
  object: KubeObject
  entries: ManagedEntry[]
  conflicts: { manager: string; field: string }[]
}

/**
 * Applies `body` as `manager` to `current` (undefined: the object is created); the caller gives
 * only the part of the body the endpoint may change (the status for the status subresource).
 */
export function serverSideApply(
  current: KubeObject | undefined,
  entries: ManagedEntry[],
  body: KubeObject,
  manager: string,
  force: boolean,
  subresource: string | undefined,
  now: string,
): ApplyResult {
  const applied = leafFields(body)
  const object = structuredClone<KubeObject>(current ?? { metadata: { ...body.metadata } })
  const isMine = (e: ManagedEntry) =>
    e.manager === manager && e.operation === 'Apply' && e.subresource === subresource
  const conflicts: { manager: string; field: string }[] = []
  for (const e of entries) {
    if (isMine(e)) continue
    for (const f of applied) {
      if (!e.fields.has(f)) continue
      const path = pathOf(f)
      if (!same(valueAt(object, path), valueAt(body, path)))
        conflicts.push({ manager: e.manager, field: `.${dotted(path)}` })
    }
  }
  if (conflicts.length > 0 && !force) return { object, entries, conflicts }
  const next: ManagedEntry[] = []
  const mine = entries.find(isMine)
  for (const e of entries) {
    if (isMine(e)) continue
    const fields = new Set(e.fields)
    // Forced (or same-valued) fields are shared or taken: taken when the value changes.
    for (const f of applied) {
      const path = pathOf(f)
      if (fields.has(f) && !same(valueAt(object, path), valueAt(body, path))) fields.delete(f)
    }
    if (fields.size > 0) next.push({ ...e, fields })
  }
  for (const f of mine?.fields ?? []) {
    if (applied.has(f)) continue
    if (next.some((e) => e.fields.has(f))) continue
    removeAt(object, pathOf(f))
  }
  for (const f of applied) setAt(object, pathOf(f), valueAt(body, pathOf(f)))
  next.push({
    manager,
    operation: 'Apply',
    ...(subresource === undefined ? {} : { subresource }),
    time: now,
    fields: applied,
  })
  return { object, entries: next, conflicts: [] }
}

/** An update (create, replace, patch) takes the fields it changed for its manager. */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  entries: ManagedEntry[],
  manager: string,
  subresource: string | undefined,
  now: string,
): ManagedEntry[] {
  const oldFields = before === undefined ? new Set<string>() : leafFields(before)
  const newFields = leafFields(after)
  const changed = new Set<string>()
  for (const f of newFields)
    if (!oldFields.has(f) || !same(valueAt(before, pathOf(f)), valueAt(after, pathOf(f))))
      changed.add(f)
  const next: ManagedEntry[] = []
  let mine: ManagedEntry | undefined
  for (const e of entries) {
    const fields = new Set([...e.fields].filter((f) => newFields.has(f)))
    if (e.manager === manager && e.operation === 'Update' && e.subresource === subresource) {
      mine = { ...e, fields }
      continue
    }
    for (const f of changed) fields.delete(f)
    if (fields.size > 0) next.push({ ...e, fields })
  }
  const fields = new Set([...(mine?.fields ?? []), ...changed])
  if (fields.size > 0)
    next.push({
      manager,
      operation: 'Update',
      ...(subresource === undefined ? {} : { subresource }),
      time: changed.size > 0 ? now : (mine?.time ?? now),
      fields,
    })
  return next
}

/** The entries as `metadata.managedFields` shows them (FieldsV1: `{"f:spec":{"f:replicas":{}}}`). */
export function managedFieldsOf(entries: ManagedEntry[], apiVersion: string): object[] {
  return entries.map((e) => {
    const fieldsV1: Record<string, Json> = {}
    for (const f of e.fields) {
      let node = fieldsV1
      for (const k of pathOf(f)) {
        const key = `f:${k}`
        node[key] ??= {}
        node = node[key] as Record<string, Json>
      }
    }
    return {
      manager: e.manager,
      operation: e.operation,
      apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1',
      fieldsV1,
      ...(e.subresource === undefined ? {} : { subresource: e.subresource }),
    }
  })
}
