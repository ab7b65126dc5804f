/**
 * What the converters share while they run: the output documents, the notes for the user (things
 * to set or check that are not a field of the input), and helpers for the parts every converter
 * writes the same way (metadata, names).
 */
import type { Path, Source } from './source.js'

export const KANARI_API_VERSION = 'kanari.dev/v1alpha1'

/** Something to set or check by hand: not a dropped field, but the result needs it. */
export interface ImportNote {
  file: string
  line: number
  object: string
  message: string
}

export type Doc = Record<string, unknown>

export class ImportContext {
  readonly notes: ImportNote[] = []

  note(src: Source, path: Path, message: string): void {
    this.notes.push({
      file: src.doc.file,
      line: src.doc.lineOf(path, { key: typeof path[path.length - 1] === 'string' }),
      object: src.object,
      message,
    })
  }
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** A Kubernetes name as Kanari's names are (lower case, digits, dashes, at most 63). */
export function kanariName(name: string): string {
  if (NAME.test(name) && name.length <= 63) return name
  const fixed = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '')
  return fixed === '' ? 'imported' : fixed
}

/**
 * `metadata` carried over: name (made a Kanari name, with a note when it changes), namespace,
 * labels, annotations; what the API server sets is given up with why.
 */
export function metadataOf(src: Source, ctx: ImportContext): Doc {
  const name = src.string(['metadata', 'name']) ?? ''
  const out: Doc = { name: kanariName(name) }
  if (out.name !== name)
    ctx.note(
      src,
      ['metadata', 'name'],
      `named ${String(out.name)}: Kanari names are lower-case letters, digits and dashes, at most 63 (was "${name}")`,
    )
  const namespace = src.string(['metadata', 'namespace'])
  if (namespace !== undefined) out.namespace = namespace
  const labels = src.get(['metadata', 'labels'])
  if (labels !== null && typeof labels === 'object') out.labels = src.take(['metadata', 'labels'])
  const annotations: Record<string, unknown> = {}
  for (const key of src.keys(['metadata', 'annotations'])) {
    if (key === 'kubectl.kubernetes.io/last-applied-configuration') {
      src.drop(
        ['metadata', 'annotations', key],
        'kubectl keeps it for `kubectl apply`; Kanari does not need it',
      )
      continue
    }
    annotations[key] = src.take(['metadata', 'annotations', key])
  }
  if (Object.keys(annotations).length > 0) out.annotations = annotations
  for (const key of [
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
    'selfLink',
    'ownerReferences',
    'finalizers',
  ])
    src.drop(['metadata', key], 'set by the Kubernetes API server, not part of a spec')
  src.drop(['status'], 'the live state of the object, not part of a spec')
  src.take(['apiVersion'])
  src.take(['kind'])
  return out
}
