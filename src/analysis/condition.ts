/**
 * Safe success/failure conditions over a measurement (`result >= 0.99`, `result[0] < 5 && len(result) > 0`):
 * a tokenizer and recursive-descent parser into a small tree that is evaluated — never eval'd.
 */
import { InputError } from '../errors.js'

type Value = number | boolean | number[]

type Node =
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'result' }
  | { t: 'unary'; op: '!' | '-'; a: Node }
  | { t: 'bin'; op: string; a: Node; b: Node }
  | { t: 'index'; a: Node; i: Node }
  | { t: 'call'; fn: string; args: Node[] }

export interface Condition {
  source: string
  root: Node
}

const FUNCTIONS: Record<string, number> = { len: 1, isNaN: 1, default: 2, abs: 1, min: -1, max: -1 }

interface Token {
  kind: 'num' | 'id' | 'op'
  text: string
  col: number
}

function tokenize(src: string): Token[] {
  const out: Token[] = []
  const re =
    /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|&&|\|\||[<>!+\-*/()[\],]))/y
  let pos = 0
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break
    re.lastIndex = pos
    const m = re.exec(src)
    if (m === null)
      throw new InputError(
        `condition "${src}": unexpected character at column ${pos + 1 + (/^\s*/.exec(src.slice(pos))?.[0].length ?? 0)}`,
      )
    const text = m[1] ?? m[2] ?? m[3] ?? ''
    out.push({
      kind: m[1] !== undefined ? 'num' : m[2] !== undefined ? 'id' : 'op',
      text,
      col: m.index + m[0].length - text.length + 1,
    })
    pos = re.lastIndex
  }
  return out
}

class Parser {
  #i = 0
  constructor(
    readonly src: string,
    readonly tokens: Token[],
  ) {}

  fail(msg: string, tok?: Token): never {
    const col = tok?.col ?? this.src.length + 1
    throw new InputError(`condition "${this.src}": ${msg} at column ${col}`, {
      hint: 'conditions use `result`, numbers, < <= > >= == !=, && || !, + - * /, [i], len(), isNaN(), default(x, v)',
    })
  }
  peek(): Token | undefined {
    return this.tokens[this.#i]
  }
  eat(text?: string): Token {
    const t = this.tokens[this.#i]
    if (t === undefined) this.fail(text === undefined ? 'unexpected end' : `expected "${text}"`)
    if (text !== undefined && t.text !== text)
      this.fail(`expected "${text}" but found "${t.text}"`, t)
    this.#i++
    return t
  }
  accept(...texts: string[]): Token | undefined {
    const t = this.peek()
    if (t?.kind === 'op' && texts.includes(t.text)) {
      this.#i++
      return t
    }
    return undefined
  }
  parse(): Node {
    if (this.tokens.length === 0) this.fail('empty condition')
    const n = this.or()
    const rest = this.peek()
    if (rest !== undefined) this.fail(`unexpected "${rest.text}"`, rest)
    return n
  }
  or(): Node {
    let a = this.and()
    while (this.accept('||')) a = { t: 'bin', op: '||', a, b: this.and() }
    return a
  }
  and(): Node {
    let a = this.cmp()
    while (this.accept('&&')) a = { t: 'bin', op: '&&', a, b: this.cmp() }
    return a
  }
  cmp(): Node {
    const a = this.add()
    const op = this.accept('<', '<=', '>', '>=', '==', '!=')
    return op === undefined ? a : { t: 'bin', op: op.text, a, b: this.add() }
  }
  add(): Node {
    let a = this.mul()
    for (let op = this.accept('+', '-'); op !== undefined; op = this.accept('+', '-'))
      a = { t: 'bin', op: op.text, a, b: this.mul() }
    return a
  }
  mul(): Node {
    let a = this.unary()
    for (let op = this.accept('*', '/'); op !== undefined; op = this.accept('*', '/'))
      a = { t: 'bin', op: op.text, a, b: this.unary() }
    return a
  }
  unary(): Node {
    const op = this.accept('!', '-')
    if (op !== undefined) return { t: 'unary', op: op.text as '!' | '-', a: this.unary() }
    let n = this.primary()
    while (this.accept('[')) {
      n = { t: 'index', a: n, i: this.or() }
      this.eat(']')
    }
    return n
  }
  primary(): Node {
    const t = this.eat()
    if (t.kind === 'num') return { t: 'num', v: Number(t.text) }
    if (t.kind === 'op' && t.text === '(') {
      const n = this.or()
      this.eat(')')
      return n
    }
    if (t.kind === 'id') {
      if (t.text === 'result') return { t: 'result' }
      if (t.text === 'true' || t.text === 'false') return { t: 'bool', v: t.text === 'true' }
      const arity = FUNCTIONS[t.text]
      if (arity === undefined)
        this.fail(
          `unknown name "${t.text}" (only \`result\` and the functions ${Object.keys(FUNCTIONS).join(', ')})`,
          t,
        )
      this.eat('(')
      const args: Node[] = []
      if (!this.accept(')')) {
        do args.push(this.or())
        while (this.accept(','))
        this.eat(')')
      }
      if (arity >= 0 && args.length !== arity)
        this.fail(`${t.text}() takes ${arity} argument${arity === 1 ? '' : 's'}`, t)
      return { t: 'call', fn: t.text, args }
    }
    return this.fail(`unexpected "${t.text}"`, t)
  }
}

export function parseCondition(source: string): Condition {
  return { source, root: new Parser(source, tokenize(source)).parse() }
}

/** Undefined when the condition parses; otherwise the problem, for validators. */
export function checkConditionSyntax(source: string): string | undefined {
  try {
    parseCondition(source)
    return undefined
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

function num(v: Value): number {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  return v.length === 1 ? (v[0] ?? Number.NaN) : Number.NaN
}

function evaluate(n: Node, result: number | number[]): Value {
  switch (n.t) {
    case 'num':
    case 'bool':
      return n.v
    case 'result':
      return result
    case 'unary': {
      const a = evaluate(n.a, result)
      return n.op === '!' ? !truthy(a) : -num(a)
    }
    case 'index': {
      const a = evaluate(n.a, result)
      const i = num(evaluate(n.i, result))
      return Array.isArray(a) ? (a[i] ?? Number.NaN) : i === 0 ? num(a) : Number.NaN
    }
    case 'call': {
      const args = n.args.map((x) => evaluate(x, result))
      const first = args[0] ?? Number.NaN
      switch (n.fn) {
        case 'len':
          return Array.isArray(first) ? first.length : 1
        case 'isNaN':
          return Number.isNaN(num(first))
        case 'default':
          return Number.isNaN(num(first)) ? num(args[1] ?? Number.NaN) : first
        case 'abs':
          return Math.abs(num(first))
        case 'min':
          return Math.min(...args.flatMap((a) => (Array.isArray(a) ? a : [num(a)])))
        default:
          return Math.max(...args.flatMap((a) => (Array.isArray(a) ? a : [num(a)])))
      }
    }
    case 'bin': {
      if (n.op === '&&') return truthy(evaluate(n.a, result)) && truthy(evaluate(n.b, result))
      if (n.op === '||') return truthy(evaluate(n.a, result)) || truthy(evaluate(n.b, result))
      const a = num(evaluate(n.a, result))
      const b = num(evaluate(n.b, result))
      switch (n.op) {
        case '<':
          return a < b
        case '<=':
          return a <= b
        case '>':
          return a > b
        case '>=':
          return a >= b
        case '==':
          return a === b
        case '!=':
          return a !== b
        case '+':
          return a + b
        case '-':
          return a - b
        case '*':
          return a * b
        default:
          return a / b
      }
    }
  }
}

function truthy(v: Value): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v)
  return v.length > 0
}

export function evaluateCondition(c: Condition, result: number | number[]): boolean {
  return truthy(evaluate(c.root, result))
}
