/**
 * Secrets out of evidence: the values of environment variables that are secret (named so, or listed
 * by the user), bearer tokens, credentials in `key=value` form, private keys, and strings shaped like
 * API keys or tokens. Whatever leaves the daemon in a report or a prompt has gone through here.
 */

export const REDACTED = '[REDACTED]'

/** Environment variable names whose values are treated as secret without being listed. */
const SECRET_NAME =
  /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|SESSION_?KEY|SIGNING_?KEY|DSN|DATABASE_URL|CONNECTION_STRING)/i

/** True when an environment variable's value must not be shown. */
export function isSecretName(name: string, listed: readonly string[] = []): boolean {
  return listed.includes(name) || SECRET_NAME.test(name)
}

/** Patterns of secrets that need no context; each match is replaced whole (or its value group). */
const PATTERNS: { re: RegExp; keepPrefix: boolean }[] = [
  // PEM private keys, possibly cut by a line end.
  {
    re: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    keepPrefix: false,
  },
  // Authorization headers and bearer / basic credentials.
  { re: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, keepPrefix: true },
  // JSON Web Tokens.
  { re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, keepPrefix: false },
  // Well-known key shapes: AWS, GitHub, Slack, OpenAI-style, Google, Stripe.
  { re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, keepPrefix: false },
  { re: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, keepPrefix: false },
  { re: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, keepPrefix: false },
  { re: /\bsk-[A-Za-z0-9_-]{16,}/g, keepPrefix: false },
  { re: /\bAIza[0-9A-Za-z_-]{30,}/g, keepPrefix: false },
  { re: /\b[rs]k_(live|test)_[A-Za-z0-9]{16,}/g, keepPrefix: false },
  // Credentials in URLs: scheme://user:password@host.
  { re: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(@)/gi, keepPrefix: true },
  // key=value and "key": "value" where the key says it is secret.
  {
    re: /((?:"|')?\b[\w.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|cookie|session)[\w.-]*(?:"|')?\s*[:=]\s*(?:"|')?)([^\s"',;&}]{3,})/gi,
    keepPrefix: true,
  },
]

/** Long runs of mixed letters and digits, as keys and tokens are: 32+ characters of base64 or hex. */
const KEYLIKE = /\b[A-Za-z0-9+/_-]{32,}={0,2}/g

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function looksLikeKey(s: string): boolean {
  if (/^[a-z_-]+$/i.test(s) || /^\d+$/.test(s) || UUID.test(s)) return false
  // A path (several segments) is not a key, even with a random temporary directory in it.
  if (s.split('/').length >= 3) return false
  // Paths and words joined by dashes are not keys: a key has digits and letters mixed throughout.
  const digits = (s.match(/\d/g) ?? []).length
  const letters = (s.match(/[A-Za-z]/g) ?? []).length
  return digits >= 4 && letters >= 4
}

export class Redactor {
  /** How many secrets were replaced so far. */
  count = 0
  readonly #values: string[]

  /** `secretValues`: literal values to hide wherever they appear (secret env values). */
  constructor(secretValues: Iterable<string> = []) {
    // Longest first, so a value containing another is replaced whole; short values would hide words.
    this.#values = [...new Set(secretValues)]
      .filter((v) => v.length >= 4)
      .sort((a, b) => b.length - a.length)
  }

  /** The text with every secret replaced by [REDACTED]. */
  text(input: string): string {
    let out = input
    for (const value of this.#values) {
      if (!out.includes(value)) continue
      const parts = out.split(value)
      this.count += parts.length - 1
      out = parts.join(REDACTED)
    }
    for (const { re, keepPrefix } of PATTERNS) {
      out = out.replace(re, (match: string, prefix: unknown, ...rest: unknown[]) => {
        // Already hidden (a secret value replaced above, then matched again as key=value), or the
        // key=value pattern meeting "Authorization: Bearer …", which the bearer pattern handles.
        if (match.endsWith(REDACTED) || match.endsWith(`${REDACTED}@`)) return match
        if (typeof rest[0] === 'string' && /^(Bearer|Basic|Token)$/i.test(rest[0])) return match
        this.count++
        if (!keepPrefix || typeof prefix !== 'string') return REDACTED
        // The URL pattern keeps "scheme://user:" and "@"; the others keep the key and separator.
        const tail = typeof rest[0] === 'string' && rest[0] === '@' ? '@' : ''
        if (tail === '@') return `${prefix}${REDACTED}@`
        if (/^(Bearer|Basic|Token)$/i.test(prefix)) return `${prefix} ${REDACTED}`
        return `${prefix}${REDACTED}`
      })
    }
    out = out.replace(KEYLIKE, (match) => {
      if (!looksLikeKey(match)) return match
      this.count++
      return REDACTED
    })
    return out
  }
}
