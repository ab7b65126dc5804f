/**
 * A Flagger Canary's webhooks (carried over as Kanari's) and alerts (as notifications whose webhook
 * URL is read from the environment, never written into the spec), and what is left of the
 * AlertProviders they use.
 */
import { NOTIFICATION_PROVIDERS } from '../engine/vocabulary.js'
import { kanariName, type Doc, type ImportContext } from './context.js'
import type { FlaggerObjects } from './flagger-objects.js'
import type { Path, Source } from './source.js'

/** The environment variable an alert's webhook URL is read from. */
export function alertEnvName(provider: string): string {
  return `KANARI_ALERT_${provider
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')}`
}

/** `analysis.webhooks` as Kanari's spec.webhooks. */
export function webhooksOf(src: Source, a: Path): Doc[] {
  return src.items([...a, 'webhooks']).flatMap((_w, i) => {
    const at = [...a, 'webhooks', i]
    const url = src.string([...at, 'url'])
    const name = src.string([...at, 'name'])
    if (url === undefined || name === undefined) {
      src.drop(at, 'a webhook needs a name and a url')
      return []
    }
    const type = src.get([...at, 'type'])
    if (typeof type === 'string') src.take([...at, 'type'])
    const out: Doc = { name, type: typeof type === 'string' && type !== '' ? type : 'rollout', url }
    const timeout = src.string([...at, 'timeout'])
    if (timeout !== undefined) out.timeout = timeout
    const metadataMap = src.get([...at, 'metadata'])
    if (metadataMap !== null && typeof metadataMap === 'object')
      out.metadata = src.take([...at, 'metadata'])
    const retries = src.number([...at, 'retries'])
    if (retries !== undefined) out.retries = retries
    src.drop(
      [...at, 'muteAlert'],
      'Kanari notifies through spec.notifications whatever the webhook says',
    )
    src.drop([...at, 'disableTLS'], 'Kanari always verifies TLS certificates')
    return [out]
  })
}

/** `analysis.alerts` as Kanari's spec.notifications, with the AlertProvider each one names. */
export function notificationsOf(
  src: Source,
  a: Path,
  namespace: string | undefined,
  objects: FlaggerObjects,
  ctx: ImportContext,
): Doc[] {
  return src.items([...a, 'alerts']).flatMap((_x, i) => {
    const at = [...a, 'alerts', i]
    const pName = src.get([...at, 'providerRef', 'name'])
    const pNamespace = src.get([...at, 'providerRef', 'namespace'])
    const provider =
      typeof pName === 'string'
        ? objects.alertProvider(pName, typeof pNamespace === 'string' ? pNamespace : namespace)
        : undefined
    if (provider === undefined) {
      src.drop(
        at,
        `AlertProvider ${String(pName)} is not among the input files; add it to -f to carry this alert over`,
      )
      return []
    }
    objects.use(provider)
    const type = provider.get(['spec', 'type'])
    if (!(NOTIFICATION_PROVIDERS as readonly unknown[]).includes(type)) {
      src.drop(
        at,
        `its AlertProvider is of type ${String(type)}: Kanari notifies slack, msteams, discord or a JSON webhook`,
      )
      return []
    }
    src.take([...at, 'providerRef'])
    const env = alertEnvName(String(pName))
    const out: Doc = {
      name: kanariName(src.string([...at, 'name']) ?? String(pName)),
      provider: type,
      urlFrom: { env },
    }
    const severity = src.string([...at, 'severity'])
    if (severity !== undefined) out.severity = severity
    ctx.note(
      src,
      at,
      `set ${env} in the daemon's environment to the webhook URL of AlertProvider ${String(pName)}: Kanari never keeps a webhook URL in a spec`,
    )
    return [out]
  })
}

/** The parts of a Flagger AlertProvider Kanari cannot keep, given up with why. */
export function finishAlertProvider(src: Source): void {
  src.take(['apiVersion'])
  src.take(['kind'])
  src.take(['metadata'])
  src.take(['spec', 'type'])
  src.drop(
    ['spec', 'address'],
    'a webhook URL is a secret: Kanari reads it from the variable its notifications name (urlFrom.env)',
  )
  src.drop(
    ['spec', 'secretRef'],
    'Kanari reads the webhook URL from the variable its notifications name (urlFrom.env); put the address key of this Secret there',
  )
  src.drop(['spec', 'channel'], 'an incoming webhook posts to the channel it was made for')
  src.drop(['spec', 'username'], "Kanari posts as the webhook's own name (Discord: Kanari)")
  src.drop(['spec', 'proxy'], 'Kanari sends notifications directly')
  src.drop(['status'], 'the live state of the object, not part of a spec')
}
