/**
 * Notifications: the webhook URL read from exactly one place (an environment variable with a valid
 * name, or a file), unique names so `kanari get` can tell them apart, and timeouts that are durations.
 */
import { NotificationSchema } from '../schema.js'
import { quote } from '../shown-value.js'
import type { DocumentProblems } from './document-problems.js'
import { checkDuration } from './durations.js'
import { isEnvName } from './process-env.js'
import { soundItems } from './sound-parts.js'

/** `notifications` as written; each one is read once it passes the schema. */
export function checkNotifications(p: DocumentProblems, notifications: unknown): void {
  const items = soundItems(NotificationSchema, notifications) ?? []
  const named = new Map<string, number>()
  items.forEach((n, i) => {
    if (n === undefined) return
    const at = ['spec', 'notifications', i]
    const from = n.urlFrom
    if ((from.env === undefined) === (from.file === undefined))
      p.add(
        [...at, 'urlFrom'],
        from.env === undefined
          ? 'needs one of env (an environment variable of the daemon) or file, holding the webhook URL'
          : 'give one of env or file, not both',
      )
    else if (from.env !== undefined && !isEnvName(from.env))
      p.add(
        [...at, 'urlFrom', 'env'],
        `${quote(from.env)} is not an environment variable name: use letters, digits and _, not starting with a digit`,
      )
    checkDuration(p, [...at, 'timeout'], n.timeout)
    const name = n.name ?? n.provider
    const first = named.get(name)
    if (first === undefined) named.set(name, i)
    else
      p.add(
        n.name === undefined ? at : [...at, 'name'],
        `a second notification named ${quote(name)} (the first is notifications[${first}]); give each a name`,
      )
  })
}
