/**
 * Webhooks: each calls exactly one of a URL (http or https), a gate or a load run; gates answer the
 * types that wait for an answer, load runs are started by the types that run while the release
 * does, only on this machine; timeouts are durations; names are unique; and a type the strategy
 * has no moment for is refused rather than never called.
 */
import { LOOPBACK_TEXT, isLoopbackHost } from '../../loopback.js'
import type { WebhookType } from '../../engine/plan.js'
import { LOADTEST_LIMITS } from '../../engine/vocabulary.js'
import { parseDuration } from '../duration.js'
import type { Static } from 'typebox'
import { LoadtestSchema, WebhookSchema } from '../schema.js'
import { quote } from '../shown-value.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration } from './durations.js'
import { soundItems } from './sound-parts.js'

/** What the webhooks are checked against: the strategy, when it is known. */
export interface WebhookContext {
  strategy: 'canary' | 'blueGreen' | 'rolling' | undefined
  /** A canary of A/B testing (iterations + match): its weight never rises. */
  abTesting: boolean
}

const TARGETS = ['url', 'gate', 'loadtest'] as const

/** `webhooks` as written; each one is read once it passes the schema. */
export function checkWebhooks(p: DocumentProblems, webhooks: unknown, ctx: WebhookContext): void {
  const items = soundItems(WebhookSchema, webhooks) ?? []
  // Every timeout before every URL: the order problems have always been reported in.
  items.forEach((w, i) => checkDuration(p, ['spec', 'webhooks', i, 'timeout'], w?.timeout))
  const firstByName = new Map<string, number>()
  items.forEach((w, i) => {
    if (w === undefined) return
    const at: Path = ['spec', 'webhooks', i]
    const first = firstByName.get(w.name)
    if (first === undefined) firstByName.set(w.name, i)
    else
      p.add(
        [...at, 'name'],
        `a second webhook named ${quote(w.name)} (the first is spec.webhooks[${first}]); each needs its own name`,
      )
    const targets = TARGETS.filter((k) => w[k] !== undefined)
    if (targets.length !== 1)
      p.add(
        at,
        targets.length === 0
          ? 'needs one of url, gate (a manual gate: `kanari gate open NAME`) or loadtest (a load run the daemon starts)'
          : `give one of url, gate or loadtest, not ${targets.join(' and ')}`,
      )
    if (w.url !== undefined && !/^https?:\/\//.test(w.url))
      p.add([...at, 'url'], `must be an http:// or https:// URL (got ${quote(w.url)})`)
    if (w.gate !== undefined && (w.type === 'event' || w.type === 'post-rollout'))
      p.add(
        [...at, 'gate'],
        `${w.type} webhooks only report, they wait for no answer: give a url, or use the gate with a confirm-*, pre-rollout, rollout or rollback webhook`,
        true,
      )
    if (w.loadtest !== undefined) {
      if (w.type !== 'pre-rollout' && w.type !== 'rollout')
        p.add(
          [...at, 'loadtest'],
          `a load run is started by pre-rollout or rollout webhooks (so the release has traffic while it is judged), not ${w.type}`,
          true,
        )
      checkLoadtest(p, [...at, 'loadtest'], w.loadtest)
    }
    checkMoment(p, [...at, 'type'], w.type, ctx)
  })
}

function checkLoadtest(
  p: DocumentProblems,
  at: Path,
  loadtest: Static<typeof LoadtestSchema>,
): void {
  if (loadtest.url !== undefined) {
    let url: URL | undefined
    try {
      url = new URL(loadtest.url)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      p.add([...at, 'url'], `must be an http:// or https:// URL (got ${quote(loadtest.url)})`)
    else if (!isLoopbackHost(url.hostname))
      p.add(
        [...at, 'url'],
        `must be on this machine (${LOOPBACK_TEXT}): load runs never leave it (got ${quote(loadtest.url)})`,
      )
    if (loadtest.path !== undefined)
      p.add(
        [...at, 'path'],
        'give path only without url (it is a path on the rollout’s service)',
        true,
      )
  }
  if (loadtest.duration === undefined) return
  checkDuration(p, [...at, 'duration'], loadtest.duration)
  const seconds = parseDuration(loadtest.duration)
  if (typeof seconds !== 'number') return
  if (seconds <= 0) p.add([...at, 'duration'], 'must be more than 0 seconds')
  else if (seconds > LOADTEST_LIMITS.maxDurationSeconds)
    p.add(
      [...at, 'duration'],
      `must be at most ${LOADTEST_LIMITS.maxDurationSeconds / 3600}h: a load run stops by itself (a rollout webhook starts it again each interval)`,
    )
}

/** A type the strategy never calls is refused: a gate that is never asked would be a silent no-op. */
function checkMoment(p: DocumentProblems, at: Path, type: WebhookType, ctx: WebhookContext): void {
  if (type === 'confirm-traffic-increase') {
    const why =
      ctx.strategy === 'blueGreen'
        ? 'blueGreen switches all traffic at once: use confirm-promotion'
        : ctx.strategy === 'rolling'
          ? 'a rolling update has no traffic steps: use confirm-rollout'
          : ctx.abTesting
            ? 'A/B testing sends only matching requests to the canary and never raises its weight: use confirm-promotion'
            : undefined
    if (why !== undefined) p.add(at, `confirm-traffic-increase is never asked here: ${why}`)
  }
  if (type === 'confirm-promotion' && ctx.strategy === 'rolling')
    p.add(
      at,
      'confirm-promotion is never asked here: a rolling update has no promotion step to hold; use confirm-rollout, or the canary or blueGreen strategy',
    )
}
