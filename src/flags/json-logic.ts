/**
 * JsonLogic (jsonlogic.com) compiled to closures: a rule is turned once into a function of the data,
 * so evaluating a flag walks no JSON. The standard operations behave as the reference implementation
 * (json-logic-js) does; custom operations get their arguments evaluated. An unknown operation is an
 * error at compile time, with the path of the rule that names it.
 */

/** A compiled rule: the data (evaluation context) in, a JSON value out (never undefined). */
export type Logic = (data: unknown) => unknown

/** A custom operation: its arguments already evaluated, and the data they were evaluated against. */
export type CustomOperation = (args: unknown[], data: unknown) => unknown

export class JsonLogicError extends Error {
  constructor(
    message: string,
    /** Where in the rule, like `if[0].fractional` ('' for the rule itself). */
    readonly path: string,
  ) {
    super(message)
  }
}

/** JsonLogic's truthiness: JavaScript's, except that an empty array is false. */
export function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value)
}

type Args = unknown[]
const n = (v: unknown) => v as number
const STANDARD: Record<string, (args: Args) => unknown> = {
  // JsonLogic's == and != are JavaScript's loose equality.
  '==': (a) => a[0] == a[1],
  '===': (a) => a[0] === a[1],
  '!=': (a) => a[0] != a[1],
  '!==': (a) => a[0] !== a[1],
  '>': (a) => n(a[0]) > n(a[1]),
  '>=': (a) => n(a[0]) >= n(a[1]),
  '<': (a) => (a[2] === undefined ? n(a[0]) < n(a[1]) : n(a[0]) < n(a[1]) && n(a[1]) < n(a[2])),
  '<=': (a) => (a[2] === undefined ? n(a[0]) <= n(a[1]) : n(a[0]) <= n(a[1]) && n(a[1]) <= n(a[2])),
  '!!': (a) => truthy(a[0]),
  '!': (a) => !truthy(a[0]),
  '%': (a) => n(a[0]) % n(a[1]),
  log: (a) => a[0],
  in: (a) => {
    const b = a[1]
    if (typeof b === 'string')
      return typeof a[0] === 'string' ? b.includes(a[0]) : b.includes(String(a[0]))
    return Array.isArray(b) ? b.includes(a[0]) : false
  },
  cat: (a) => a.join(''),
  substr: (a) => {
    // String.prototype.substr's semantics: a negative start counts from the end, then a length
    // (or, when negative, characters to leave off the end).
    const source = String(a[0])
    let start = Math.trunc(Number(a[1])) || 0
    if (start < 0) start = Math.max(0, source.length + start)
    const rest = source.slice(start)
    const end = a[2]
    if (end === undefined) return rest
    const count = Math.trunc(Number(end)) || 0
    return count < 0 ? rest.slice(0, Math.max(0, rest.length + count)) : rest.slice(0, count)
  },
  '+': (a) => a.reduce<number>((sum, v) => sum + parseFloat(String(v)), 0),
  '*': (a) =>
    a.length === 0
      ? null
      : a.slice(1).reduce<unknown>((p, v) => parseFloat(String(p)) * parseFloat(String(v)), a[0]),
  '-': (a) => (a[1] === undefined ? -n(a[0]) : n(a[0]) - n(a[1])),
  '/': (a) => n(a[0]) / n(a[1]),
  min: (a) => Math.min(...(a as number[])),
  max: (a) => Math.max(...(a as number[])),
  merge: (a) => a.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v])),
}

/** Operations whose arguments are evaluated lazily or against other data. */
const SPECIAL = new Set([
  'if',
  '?:',
  'and',
  'or',
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
  'var',
  'missing',
  'missing_some',
])

/** Every operation name a rule may use, besides the custom ones. */
export const STANDARD_OPERATIONS: readonly string[] = [...Object.keys(STANDARD), ...SPECIAL]

const hasOwn = (o: object, key: string): boolean => Object.hasOwn(o, key)

/** The value at a dotted path in `data`, or undefined; only own properties are read. */
function lookup(data: unknown, path: readonly string[]): unknown {
  let at = data
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !hasOwn(at, key)) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}

function varValue(data: unknown, name: unknown, fallback: unknown): unknown {
  if (name === undefined || name === null || name === '') return data
  const found = lookup(data, (typeof name === 'string' ? name : JSON.stringify(name)).split('.'))
  return found === undefined ? (fallback === undefined ? null : fallback) : found
}

function missing(data: unknown, keys: unknown[]): unknown[] {
  const out: unknown[] = []
  for (const key of keys) {
    const v = varValue(data, key, undefined)
    if (v === null || v === '') out.push(key)
  }
  return out
}

const join = (path: string, part: string | number) =>
  typeof part === 'number' ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`

/** Compiled rules that are plain values (they read no data). */
const constants = new WeakSet<Logic>()

function constantLogic(value: unknown): Logic {
  const f: Logic = () => value
  constants.add(f)
  return f
}

export interface CompileOptions {
  operations?: Readonly<Record<string, CustomOperation>>
}

/** Compiles `rule`; throws a JsonLogicError naming the path of an unknown operation. */
export function compileLogic(rule: unknown, options: CompileOptions = {}, path = ''): Logic {
  const custom = options.operations ?? {}
  const compile = (r: unknown, p: string): Logic => {
    if (Array.isArray(r)) {
      const items = r.map((item, i) => compile(item, join(p, i)))
      // All items constant: one array, built once (operations may cache what they read of it).
      if (items.every((f) => constants.has(f))) return constantLogic(items.map((f) => f(null)))
      return (data) => {
        const out = new Array<unknown>(items.length)
        for (let i = 0; i < items.length; i++) out[i] = (items[i] as Logic)(data)
        return out
      }
    }
    if (r === null || typeof r !== 'object') return constantLogic(r === undefined ? null : r)
    const keys = Object.keys(r)
    if (keys.length !== 1) return constantLogic(r)
    const op = keys[0] as string
    const raw = (r as Record<string, unknown>)[op]
    const argRules = Array.isArray(raw) ? raw : [raw]
    const at = join(p, op)
    const args = () => argRules.map((a, i) => compile(a, Array.isArray(raw) ? join(at, i) : at))
    const all = (fs: Logic[]) => (data: unknown) => {
      const out = new Array<unknown>(fs.length)
      for (let i = 0; i < fs.length; i++) out[i] = (fs[i] as Logic)(data)
      return out
    }
    if (hasOwn(custom, op)) {
      const fn = custom[op] as CustomOperation
      const values = all(args())
      return (data) => fn(values(data), data)
    }
    switch (op) {
      case 'var': {
        const nameRule: unknown = argRules[0]
        const fallbackRule: unknown = argRules[1]
        if (typeof nameRule === 'string' || typeof nameRule === 'number') {
          if (nameRule === '') return (data) => data
          const parts = String(nameRule).split('.')
          const fallback =
            fallbackRule === undefined ? () => null : compile(fallbackRule, join(at, 1))
          if (parts.length === 1) {
            const key = parts[0] as string
            return (data) => {
              if (data !== null && typeof data === 'object' && hasOwn(data, key)) {
                const v = (data as Record<string, unknown>)[key]
                if (v !== undefined) return v
              }
              return fallback(data)
            }
          }
          return (data) => {
            const v = lookup(data, parts)
            return v === undefined ? fallback(data) : v
          }
        }
        const values = all(args())
        return (data) => {
          const [name, fallback] = values(data)
          return varValue(data, name, fallback)
        }
      }
      case 'missing': {
        const values = all(args())
        return (data) => {
          const v = values(data)
          return missing(data, Array.isArray(v[0]) ? (v[0] as unknown[]) : v)
        }
      }
      case 'missing_some': {
        const values = all(args())
        return (data) => {
          const [need, options] = values(data)
          const keys = Array.isArray(options) ? (options as unknown[]) : []
          const absent = missing(data, keys)
          return keys.length - absent.length >= (need as number) ? [] : absent
        }
      }
      case 'if':
      case '?:': {
        const fs = args()
        return (data) => {
          let i = 0
          for (; i < fs.length - 1; i += 2)
            if (truthy((fs[i] as Logic)(data))) return (fs[i + 1] as Logic)(data)
          return i === fs.length - 1 ? (fs[i] as Logic)(data) : null
        }
      }
      case 'and': {
        const fs = args()
        return (data) => {
          let current: unknown = null
          for (const f of fs) {
            current = f(data)
            if (!truthy(current)) return current
          }
          return current
        }
      }
      case 'or': {
        const fs = args()
        return (data) => {
          let current: unknown = null
          for (const f of fs) {
            current = f(data)
            if (truthy(current)) return current
          }
          return current
        }
      }
      case 'map':
      case 'filter':
      case 'all':
      case 'none':
      case 'some': {
        const [scope, logic] = args()
        const over = scope ?? (() => null)
        const each = logic ?? (() => null)
        return (data) => {
          const items = over(data)
          if (!Array.isArray(items)) return op === 'map' || op === 'filter' ? [] : op === 'none'
          if (op === 'map') return (items as unknown[]).map((item) => each(item))
          if (op === 'all')
            return items.length > 0 && items.every((item: unknown) => truthy(each(item)))
          const kept = (items as unknown[]).filter((item) => truthy(each(item)))
          if (op === 'filter') return kept
          return op === 'none' ? kept.length === 0 : kept.length > 0
        }
      }
      case 'reduce': {
        const [scope, logic, initial] = args()
        return (data) => {
          const start = initial === undefined ? null : initial(data)
          const items = scope === undefined ? null : scope(data)
          if (!Array.isArray(items) || logic === undefined) return start
          return (items as unknown[]).reduce<unknown>(
            (accumulator, current) => logic({ current, accumulator }),
            start,
          )
        }
      }
    }
    if (hasOwn(STANDARD, op)) {
      const fn = STANDARD[op] as (a: Args) => unknown
      const values = all(args())
      return (data) => {
        const v = fn(values(data))
        return v === undefined ? null : v
      }
    }
    throw new JsonLogicError(`unknown operator "${op}"`, at)
  }
  return compile(rule, path)
}
