/** Text helpers the formats share: cutting to a service's length limits without breaking a character. */

/** `text` cut to at most `max` characters (code points), ending with … when cut. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text)
  if (chars.length <= max) return text
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…'
}

/** The length services count: code points, as Array.from(s) counts them. */
export function lengthOf(text: string): number {
  return Array.from(text).length
}
