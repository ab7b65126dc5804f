/**
 * The errors of the in-memory API, as the real server's `Status` objects (reason, message, code,
 * details) inside the same KubeApiError the real client throws — so callers cannot tell them apart.
 */
import { KubeApiError, type KubeStatus } from '../errors.js'
import type { ResourceRef } from '../types.js'

/** `rollouts.kanari.dev`, `configmaps`: how the server names a resource in messages. */
export function qualifiedName(ref: Pick<ResourceRef, 'group' | 'plural'>): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`
}

function fail(method: string, path: string, code: number, status: KubeStatus): KubeApiError {
  const body: KubeStatus & { apiVersion: string; metadata: object } = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    ...status,
    code,
  }
  return new KubeApiError(method, path, code, body, JSON.stringify(body))
}

export interface RequestAt {
  method: string
  path: string
  ref: ResourceRef
  name: string
}

export function notFound(r: RequestAt): KubeApiError {
  return fail(r.method, r.path, 404, {
    reason: 'NotFound',
    message: `${qualifiedName(r.ref)} "${r.name}" not found`,
    details: { name: r.name, kind: r.ref.plural },
  })
}

export function alreadyExists(r: RequestAt): KubeApiError {
  return fail(r.method, r.path, 409, {
    reason: 'AlreadyExists',
    message: `${qualifiedName(r.ref)} "${r.name}" already exists`,
    details: { name: r.name, kind: r.ref.plural },
  })
}

/** A write based on a resourceVersion that is no longer the object's. */
export function staleConflict(r: RequestAt): KubeApiError {
  return fail(r.method, r.path, 409, {
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${qualifiedName(r.ref)} "${r.name}": the object has been modified; please apply your changes to the latest version and try again`,
    details: { name: r.name, kind: r.ref.plural },
  })
}

/** Server-side apply without force touching fields other managers own with other values. */
export function applyConflict(
  r: RequestAt,
  conflicts: { manager: string; field: string }[],
): KubeApiError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with "${c.manager}"`,
    field: c.field,
  }))
  const list = conflicts.map((c) => `conflict with "${c.manager}": ${c.field}`)
  return fail(r.method, r.path, 409, {
    reason: 'Conflict',
    message:
      conflicts.length === 1
        ? `Apply failed with 1 conflict: ${list[0] ?? ''}`
        : `Apply failed with ${conflicts.length} conflicts: ${list.join('\n')}`,
    details: { name: r.name, kind: r.ref.plural, causes },
  })
}

export function invalid(r: RequestAt, field: string, message: string): KubeApiError {
  return fail(r.method, r.path, 422, {
    reason: 'Invalid',
    message: `${r.ref.kind}${r.ref.group === '' ? '' : `.${r.ref.group}`} "${r.name}" is invalid: ${field}: ${message}`,
    details: {
      name: r.name,
      kind: r.ref.kind,
      causes: [{ reason: 'FieldValueInvalid', message, field }],
    },
  })
}

export function badRequest(r: Omit<RequestAt, 'name'>, message: string): KubeApiError {
  return fail(r.method, r.path, 400, { reason: 'BadRequest', message })
}

/** A watch from a resourceVersion older than the history kept (the informer relists). */
export function gone(resourceVersion: string, oldest: number): KeyValueStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${resourceVersion} (${oldest})`,
    reason: 'Expired',
    code: 410,
  }
}

type KeyValueStatus = KubeStatus & { apiVersion: string; metadata: object }
