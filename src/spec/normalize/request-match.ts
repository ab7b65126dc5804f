/** A header or cookie match as the plan wants it: only the match kinds given, and one kind per match. */
import type { RequestMatch } from '../../engine/plan.js'

type StringMatch = { exact?: string; prefix?: string; regex?: string }

export function requestMatch(m: {
  headerName?: string
  headerValue?: Record<string, string | undefined>
  cookieName?: string
  cookieValue?: Record<string, string | undefined>
}): RequestMatch {
  const value = (v: Record<string, string | undefined> | undefined): StringMatch => {
    const out: StringMatch = {}
    if (v?.exact !== undefined) out.exact = v.exact
    if (v?.prefix !== undefined) out.prefix = v.prefix
    if (v?.regex !== undefined) out.regex = v.regex
    return out
  }
  if (m.cookieName !== undefined)
    return { cookieName: m.cookieName, cookieValue: value(m.cookieValue) }
  return { headerName: m.headerName ?? '', headerValue: value(m.headerValue) }
}
