/**
 * Lines of the values in a JSON text, by path: a flag file's problems point at their line without
 * parsing the file a second time as YAML. One pass, no recursion (a file may nest deeply).
 */

/** Paths deeper than this point at their ancestor at this depth (keeps a very deep file linear). */
const MAX_RECORDED_DEPTH = 64

/** A function giving the 1-based line of a path (of its nearest existing ancestor when missing). */
export function jsonLines(text: string): (path: (string | number)[]) => number {
  const lines = new Map<string, number>()
  const stack: { array: boolean; path: (string | number)[]; next: number; key?: string }[] = []
  let line = 1
  const here = (): (string | number)[] => {
    const top = stack.at(-1)
    if (top === undefined) return []
    if (top.path.length >= MAX_RECORDED_DEPTH) return top.path
    return [...top.path, top.array ? top.next : (top.key ?? '')]
  }
  const record = (path: (string | number)[]) => {
    const key = JSON.stringify(path)
    if (!lines.has(key)) lines.set(key, line)
  }
  const valueDone = () => {
    const top = stack.at(-1)
    if (top === undefined) return
    if (top.array) top.next++
    else delete top.key
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\n') line++
    else if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const s = JSON.parse(text.slice(i, j + 1)) as string
      i = j
      const top = stack.at(-1)
      if (top !== undefined && !top.array && top.key === undefined) top.key = s
      else {
        record(here())
        valueDone()
      }
    } else if (c === '{' || c === '[') {
      const path = here()
      record(path)
      stack.push({ array: c === '[', path, next: 0 })
    } else if (c === '}' || c === ']') {
      stack.pop()
      valueDone()
    } else if (c !== undefined && /[-0-9tfn]/.test(c)) {
      record(here())
      while (i + 1 < text.length && /[^,\]}\s]/.test(text[i + 1] as string)) i++
      valueDone()
    }
  }
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const at = lines.get(JSON.stringify(path.slice(0, Math.min(n, MAX_RECORDED_DEPTH))))
      if (at !== undefined) return at
    }
    return 1
  }
}
