/**
 * One input manifest as a converter reads it: every value taken is marked as carried over, every
 * value given up is marked with why, and whatever is left unmarked at the end is reported too — so
 * no field of the input is ever dropped without a line saying so.
 */
import type { LoadedDocument } from '../spec/load.js'
import { formatPath } from '../spec/problems.js'

export type Path = (string | number)[]

/** A field of the input that is not in the output, where it was, and why. */
export interface NotCarried {
  file: string
  line: number
  /** The input object, e.g. `Rollout/checkout`. */
  object: string
  path: string
  reason: string
}

/** What Kanari has no place for, when a converter did not say more. */
export const NO_EQUIVALENT = 'Kanari has no equivalent'

export class Source {
  /** Paths whose whole subtree was carried over (as formatted paths). */
  readonly #taken = new Set<string>()
  /** Paths given up, with why. */
  readonly #dropped = new Map<string, string>()
  readonly value: unknown

  constructor(
    readonly doc: LoadedDocument,
    /** `Kind/name`, as the lists show it. */
    readonly object: string,
  ) {
    this.value = doc.value
  }

  /** The value at `path`, or undefined; reading marks nothing. */
  get(path: Path): unknown {
    let node: unknown = this.value
    for (const seg of path) {
      if (node === null || typeof node !== 'object') return undefined
      if (Array.isArray(node)) {
        if (typeof seg !== 'number') return undefined
        node = node[seg]
      } else {
        if (!Object.hasOwn(node, seg)) return undefined
        node = (node as Record<string, unknown>)[String(seg)]
      }
    }
    return node
  }

  has(path: Path): boolean {
    return this.get(path) !== undefined
  }

  /** The value at `path`, marked as carried over (its whole subtree). */
  take(path: Path): unknown {
    this.#taken.add(formatPath(path))
    return this.get(path)
  }

  string(path: Path): string | undefined {
    const v = this.get(path)
    if (typeof v !== 'string') return undefined
    this.take(path)
    return v
  }

  number(path: Path): number | undefined {
    const v = this.get(path)
    if (typeof v !== 'number') return undefined
    this.take(path)
    return v
  }

  boolean(path: Path): boolean | undefined {
    const v = this.get(path)
    if (typeof v !== 'boolean') return undefined
    this.take(path)
    return v
  }

  /** The items of a list at `path` (none when it is not a list); marks nothing. */
  items(path: Path): unknown[] {
    const v = this.get(path)
    return Array.isArray(v) ? v : []
  }

  /** The keys of a mapping at `path` (none when it is not one); marks nothing. */
  keys(path: Path): string[] {
    const v = this.get(path)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []
  }

  /**
   * Gives up `path` (if it is set) and says why — unless part of it was carried over already: what
   * was taken stays taken, and the rest of it is reported as left over.
   */
  drop(path: Path, reason: string): void {
    const key = formatPath(path)
    if (!this.has(path) || this.#carried(key)) return
    this.#dropped.set(key, reason)
  }

  /** Whether `key`, an ancestor of it or anything below it was taken. */
  #carried(key: string): boolean {
    for (const k of this.#taken) if (k === key || under(k, key) || under(key, k)) return true
    return false
  }

  /** Every field not carried over, in the order of the document. */
  notCarried(): NotCarried[] {
    const out: NotCarried[] = []
    const entry = (path: Path, reason: string): NotCarried => ({
      file: this.doc.file,
      // A list item has no key of its own: its line is where the item starts.
      line: this.doc.lineOf(path, { key: typeof path[path.length - 1] === 'string' }),
      object: this.object,
      path: formatPath(path),
      reason,
    })
    const walk = (node: unknown, path: Path): void => {
      const key = formatPath(path)
      if (this.#taken.has(key)) return
      const dropped = this.#dropped.get(key)
      if (dropped !== undefined) return void out.push(entry(path, dropped))
      if (path.length > 0 && !this.#touches(key)) return void out.push(entry(path, NO_EQUIVALENT))
      if (node === null || typeof node !== 'object') return
      const children: [string | number, unknown][] = Array.isArray(node)
        ? node.map((v, i) => [i, v])
        : Object.entries(node)
      for (const [k, v] of children) walk(v, [...path, k])
    }
    walk(this.value, [])
    return out
  }

  /** Whether anything at or below `key` was taken or dropped. */
  #touches(key: string): boolean {
    for (const k of this.#taken) if (k === key || under(k, key)) return true
    for (const k of this.#dropped.keys()) if (k === key || under(k, key)) return true
    return false
  }
}

/** Whether the formatted path `k` lies below `key`. */
function under(k: string, key: string): boolean {
  return key === '' ? k !== '' : k.startsWith(`${key}.`) || k.startsWith(`${key}[`)
}
