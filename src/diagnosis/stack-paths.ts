/**
 * Source files named by stack traces (Node, Python, Go, Java-style frames), so a suggested patch can
 * be given the files the evidence points to. Runtime internals and installed packages are skipped.
 */

export interface SourceRef {
  /** As logged: absolute, relative, or a file: URL turned into a path. */
  path: string
  line: number | null
}

const FRAME_PATTERNS: RegExp[] = [
  // Node: "at fn (/abs/file.js:12:5)", "at /abs/file.js:12:5", "at file:///abs/file.mjs:1:2"
  /\bat (?:.*? \()?((?:file:\/\/)?(?:\/|\.{1,2}\/|[A-Za-z]:\\)[^\s():]+):(\d+)(?::\d+)?\)?/g,
  // Python: File "/abs/file.py", line 12
  /File "([^"]+)", line (\d+)/g,
  // Go and others: "/abs/file.go:12" at the start of an indented line
  /^\s+((?:\/|\.{1,2}\/)[^\s:]+\.[a-z]+):(\d+)/gm,
]

function skipped(path: string): boolean {
  return (
    path.startsWith('node:') ||
    path.includes('/node_modules/') ||
    path.includes('/site-packages/') ||
    path.includes('/usr/lib/') ||
    path.includes('/go/src/runtime/') ||
    path.startsWith('internal/')
  )
}

/** The source files a text's stack frames name, in order of first appearance, without repeats. */
export function stackSources(text: string): SourceRef[] {
  const found: { at: number; ref: SourceRef }[] = []
  for (const re of FRAME_PATTERNS) {
    for (const m of text.matchAll(re)) {
      let path = m[1] ?? ''
      if (path.startsWith('file://')) path = decodeURIComponent(path.slice('file://'.length))
      if (path === '' || skipped(path)) continue
      found.push({ at: m.index, ref: { path, line: m[2] === undefined ? null : Number(m[2]) } })
    }
  }
  const seen = new Set<string>()
  const out: SourceRef[] = []
  for (const { ref } of found.sort((a, b) => a.at - b.at)) {
    const key = `${ref.path}:${ref.line ?? ''}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(ref)
  }
  return out
}

/** `path:line` as shown in a report. */
export function sourceText(ref: SourceRef): string {
  return ref.line === null ? ref.path : `${ref.path}:${ref.line}`
}
