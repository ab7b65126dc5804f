/**
 * The two patch formats the in-memory API applies: JSON merge patch (RFC 7386: objects merge, null
 * removes, anything else replaces) and JSON patch (RFC 6902: add, remove, replace, move, copy, test
 * at JSON pointers). A JSON patch that cannot apply throws PatchError; the API answers 422 as the
 * real server does.
 */

export class PatchError extends Error {}

type Json = unknown
const isObject = (v: Json): v is Record<string, Json> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch)
  const out: Record<string, Json> = isObject(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k)
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

interface Operation {
  op: string
  path: string
  from?: string
  value?: Json
}

function pointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw new PatchError(`JSON pointer "${path}" does not start with /`)
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; last: string } {
  let node = doc
  for (const t of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined
    if (node === undefined) throw new PatchError(`doc is missing path: ${path}`)
  }
  const last = tokens[tokens.length - 1]
  if (last === undefined) throw new PatchError(`path ${path} names the whole document`)
  return { parent: node, last }
}

function read(doc: Json, path: string): Json {
  let node = doc
  for (const t of pointer(path)) {
    node = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined
    if (node === undefined) throw new PatchError(`doc is missing path: ${path}`)
  }
  return node
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path)
  if (tokens.length === 0) return structuredClone(value)
  const { parent, last } = parentOf(doc, tokens, path)
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last)
    if (!Number.isInteger(i) || i < 0 || i > parent.length)
      throw new PatchError(`index ${last} out of range at ${path}`)
    parent.splice(i, 0, structuredClone(value))
  } else if (isObject(parent)) parent[last] = structuredClone(value)
  else throw new PatchError(`doc is missing path: ${path}`)
  return doc
}

function remove(doc: Json, path: string): Json {
  const { parent, last } = parentOf(doc, pointer(path), path)
  if (Array.isArray(parent)) {
    const i = Number(last)
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`doc is missing path: ${path}`)
    parent.splice(i, 1)
  } else if (isObject(parent) && last in parent) Reflect.deleteProperty(parent, last)
  else throw new PatchError(`doc is missing path: ${path}`)
  return doc
}

export function jsonPatch(target: Json, operations: Json[]): Json {
  let doc = structuredClone(target)
  for (const raw of operations) {
    const o = raw as Operation
    switch (o.op) {
      case 'add':
        doc = add(doc, o.path, o.value)
        break
      case 'remove':
        doc = remove(doc, o.path)
        break
      case 'replace':
        read(doc, o.path)
        doc = add(remove(doc, o.path), o.path, o.value)
        break
      case 'move': {
        const value = read(doc, o.from ?? '')
        doc = add(remove(doc, o.from ?? ''), o.path, value)
        break
      }
      case 'copy':
        doc = add(doc, o.path, read(doc, o.from ?? ''))
        break
      case 'test':
        if (JSON.stringify(read(doc, o.path)) !== JSON.stringify(o.value))
          throw new PatchError(`testing value ${o.path} failed`)
        break
      default:
        throw new PatchError(`unknown JSON patch operation "${o.op}"`)
    }
  }
  return doc
}
