/**
 * A user's value as a problem message shows it: quoted, with control and bidi characters escaped (a
 * manifest must not be able to write to the terminal) and long values cut short.
 */

const MAX_SHOWN = 80

// C0 and C1 controls, DEL, line and paragraph separators, bidi embeddings, overrides and isolates,
// and halves of surrogate pairs without their other half.
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** `text` with those characters written as \uXXXX, so it prints as it reads. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A string in double quotes, escaped and at most about 80 characters long. */
export function quote(text: string): string {
  // Cut before a lone high surrogate, so an emoji is never split in half.
  const end = /[\ud800-\udbff]/.test(text.charAt(MAX_SHOWN - 1)) ? MAX_SHOWN - 1 : MAX_SHOWN
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, end)}…` : text
  return `"${escapeUnsafe(cut.replace(/\\/g, '\\\\').replace(/"/g, '\\"'))}"`
}

/** What a value is, for "(got …)": a quoted string, a number, true/false, null, a list or a mapping. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return quote(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return typeof value
}
