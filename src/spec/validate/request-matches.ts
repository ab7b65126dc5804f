/** Header and cookie matches (A/B testing, header and mirror routes): one kind each, one way to match. */
import type { Static } from 'typebox'
import type { RequestMatchSchema } from '../schema.js'
import type { DocumentProblems, Path } from './document-problems.js'

export function checkMatches(
  p: DocumentProblems,
  path: Path,
  matches: Static<typeof RequestMatchSchema>[] | undefined,
): void {
  ;(matches ?? []).forEach((m, i) => {
    const at = [...path, i]
    const header = m.headerName !== undefined || m.headerValue !== undefined
    const cookie = m.cookieName !== undefined || m.cookieValue !== undefined
    if (header === cookie) {
      p.add(
        at,
        header
          ? 'give a header match or a cookie match, not both'
          : 'needs headerName + headerValue, or cookieName + cookieValue',
      )
      return
    }
    const [nameKey, valueKey] = header
      ? (['headerName', 'headerValue'] as const)
      : (['cookieName', 'cookieValue'] as const)
    if (m[nameKey] === undefined) p.add([...at, nameKey], 'is required')
    const v = m[valueKey]
    if (v === undefined) {
      p.add([...at, valueKey], 'is required')
      return
    }
    const kinds = (['exact', 'prefix', 'regex'] as const).filter((k) => v[k] !== undefined)
    if (kinds.length !== 1) p.add([...at, valueKey], 'needs exactly one of exact, prefix, regex')
    if (v.regex !== undefined) {
      try {
        new RegExp(v.regex)
      } catch (err) {
        p.add(
          [...at, valueKey, 'regex'],
          `is not a valid regular expression: ${(err as Error).message}`,
        )
      }
    }
  })
}
