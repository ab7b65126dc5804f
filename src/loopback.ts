/**
 * Loopback addresses: load runs send only to this machine unless told otherwise, so a mistyped URL
 * never sends load to someone else's server.
 */

/** Whether a URL's host name (as `new URL(…).hostname` gives it) names this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === '127'
}

/** What a loopback address is, for messages. */
export const LOOPBACK_TEXT = '127.0.0.0/8, [::1] or localhost'
