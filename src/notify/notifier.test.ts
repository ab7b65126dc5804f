/**
 * The notifier against local receivers that check Slack's, Teams', Discord's and Kanari's own
 * formats field by field, fed with the events of real (simulated) releases: one promoted, one rolled
 * back. Retries, rate limits, refusals, receivers that are down or hang, the queue bound, and the
 * secret URL that must never show.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../engine/events.js'
import type { NotificationPlan, NotificationProvider } from '../engine/plan.js'
import { parseRolloutSet, planFor } from '../manifests/rollout-set.js'
import { NOTIFIED_BY_DEFAULT } from '../spec/normalize/index.js'
import { simulate } from '../simulate/simulate.js'
import { PAYLOADS } from './formats/index.js'
import { noticeOf, type Notice } from './notice.js'
import { Notifier } from './notifier.js'
import type { Outbox } from './outbox.js'
import type { CountsKeeper, KeptCounts, NotificationStats } from './stats.js'
import { checkDiscord, checkSlack, FORMAT_CHECKS } from './test-utils/checks/index.js'
import {
  downUrl,
  startReceiver,
  type Receiver,
  type ReceiverKind,
  type ReceiverMode,
} from './test-utils/receivers.js'

const EXAMPLE = new URL('../../examples/canary.yaml', import.meta.url)

async function releaseEvents(canaryErrorPercent: number): Promise<EngineEvent[]> {
  const set = parseRolloutSet([{ name: 'canary.yaml', text: readFileSync(EXAMPLE, 'utf8') }])
  const doc = set.rollouts[0]?.doc
  if (doc === undefined) throw new Error('examples/canary.yaml has no Rollout')
  const result = await simulate(planFor(doc, set.templates, 2), {
    rps: 100,
    seed: 7,
    stable: { errorRatePercent: 0.5, latencyMs: 20 },
    canary: { errorRatePercent: canaryErrorPercent, latencyMs: 20 },
    promoteAfterSeconds: 30,
    readySeconds: 2,
    maxSeconds: 2000,
  })
  return result.events
}

let promoted: EngineEvent[]
let rolledBack: EngineEvent[]

beforeAll(async () => {
  promoted = await releaseEvents(0.5)
  rolledBack = await releaseEvents(15)
})

const receivers: Receiver[] = []
const notifiers: Notifier[] = []
afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.close(0)))
  await Promise.all(receivers.splice(0).map((r) => r.close()))
})

async function receiver(kind: ReceiverKind, mode?: ReceiverMode): Promise<Receiver> {
  const r = await startReceiver(kind, mode)
  receivers.push(r)
  return r
}

function plan(
  provider: NotificationProvider,
  env: string,
  more: Partial<NotificationPlan> = {},
): NotificationPlan {
  return {
    name: provider,
    provider,
    urlFrom: { env },
    severity: 'info',
    events: [...NOTIFIED_BY_DEFAULT],
    timeoutSeconds: 2,
    retries: 2,
    ...more,
  }
}

function notifier(
  plans: NotificationPlan[],
  env: Record<string, string>,
  log: string[] = [],
  more: { maxQueued?: number; baseDir?: string; outbox?: Outbox; counts?: CountsKeeper } = {},
): Notifier {
  const n = new Notifier({
    notifications: () => plans,
    baseDir: () => more.baseDir ?? tmpdir(),
    log: (line) => log.push(line),
    env,
    retryDelayMs: 20,
    ...(more.maxQueued === undefined ? {} : { maxQueued: more.maxQueued }),
    ...(more.outbox === undefined ? {} : { outbox: more.outbox }),
    ...(more.counts === undefined ? {} : { counts: more.counts }),
  })
  notifiers.push(n)
  return n
}

function statsOf(n: Notifier, name: string): NotificationStats {
  const s = n.stats().find((x) => x.name === name)
  if (s === undefined) throw new Error(`no stats for ${name}`)
  return s
}

describe('payloads', () => {
  it('every event of a promoted and a rolled-back release passes each service format check', () => {
    const reasons = new Set([...promoted, ...rolledBack].map((e) => e.reason))
    expect(reasons).toContain('RolledBack')
    expect(reasons).toContain('Promoted')
    expect(reasons).toContain('AnalysisFailed')
    for (const e of [...promoted, ...rolledBack])
      for (const kind of Object.keys(FORMAT_CHECKS) as ReceiverKind[])
        expect(
          FORMAT_CHECKS[kind](PAYLOADS[kind](noticeOf('checkout', kind, e))),
          `${kind} ${e.reason}`,
        ).toEqual([])
  })

  it('says the rollout, revision, what happened, the explanation and the traffic share', () => {
    const rb = rolledBack.find((e) => e.reason === 'RolledBack')
    if (rb?.reason !== 'RolledBack') throw new Error('no RolledBack event')
    expect(rb.explanation).toMatch(/canary error rate .* vs stable/)
    const n = noticeOf('checkout', 'team', rb)

    const slack = PAYLOADS.slack(n) as {
      text: string
      blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[]
    }
    expect(slack.blocks[0]?.text?.text).toBe(
      `checkout: revision ${rb.revision} rolled back at ${rb.canaryWeight}%`,
    )
    const fields = slack.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text)
    expect(fields).toContain('*Rollout*\ncheckout')
    expect(fields).toContain(`*Revision*\n${rb.revision}`)
    expect(fields).toContain(`*Canary traffic*\n0% (was ${rb.canaryWeight}% when rolled back)`)
    const why = slack.blocks.find((b) => b.text?.text.startsWith('*Why:*'))?.text?.text ?? ''
    // mrkdwn: the "p < 0.001" of an explanation arrives escaped
    expect(why).toBe(
      `*Why:* ${rb.explanation.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`,
    )
    // Slack's Next line points at the failed revision's evidence, never at a retry of it.
    const next = slack.blocks.find((b) => b.text?.text.startsWith('*Next:*'))?.text?.text
    expect(next).toBe(
      `*Next:* users are back on stable; see why with \`kanari diagnose checkout --revision ${rb.revision}\`, then apply a fixed revision`,
    )

    const teams = PAYLOADS.msteams(n) as {
      attachments: {
        content: {
          body: {
            type: string
            text?: string
            color?: string
            facts?: { title: string; value: string }[]
          }[]
        }
      }[]
    }
    const body = teams.attachments[0]?.content.body ?? []
    expect(body[0]).toMatchObject({
      type: 'TextBlock',
      text: n.title,
      color: 'Attention',
      weight: 'Bolder',
    })
    expect(body.find((b) => b.type === 'FactSet')?.facts).toContainEqual({
      title: 'Revision',
      value: String(rb.revision),
    })
    expect(body.some((b) => b.text === `**Why:** ${rb.explanation}`)).toBe(true)

    const discord = PAYLOADS.discord(n) as {
      allowed_mentions: unknown
      embeds: {
        title: string
        color: number
        fields: { name: string; value: string }[]
        timestamp: string
      }[]
    }
    expect(discord.allowed_mentions).toEqual({ parse: [] })
    expect(discord.embeds[0]?.color).toBe(0xe01e5a)
    expect(discord.embeds[0]?.fields).toContainEqual({
      name: 'Why',
      value: rb.explanation,
      inline: false,
    })
    expect(discord.embeds[0]?.timestamp).toBe(new Date(rb.at).toISOString())

    const hook = PAYLOADS.webhook(n) as Record<string, unknown>
    expect(hook).toMatchObject({
      kind: 'KanariNotification',
      rollout: 'checkout',
      notification: 'team',
      reason: 'RolledBack',
      severity: 'error',
      revision: rb.revision,
      canaryWeight: rb.canaryWeight,
      explanation: rb.explanation,
    })
    // A failed revision's next step is its evidence, never a retry of the same revision.
    expect(hook.next).toBe(
      `users are back on stable; see why with \`kanari diagnose checkout --revision ${rb.revision}\`, then apply a fixed revision`,
    )
    expect(hook.next).not.toMatch(/retry/)
  })

  it('keeps Slack and Discord within their length limits for a very long explanation', () => {
    const rb = rolledBack.find((e) => e.reason === 'RolledBack')
    if (rb?.reason !== 'RolledBack') throw new Error('no RolledBack event')
    const long = { ...rb, explanation: '<&>'.repeat(3000), message: 'x'.repeat(9000) }
    const n = noticeOf('checkout', 'team', long)
    expect(checkSlack(PAYLOADS.slack(n))).toEqual([])
    expect(checkDiscord(PAYLOADS.discord(n))).toEqual([])
  })
})

describe('sending', () => {
  it('delivers to each service in its format, in order, with the default event filter', async () => {
    const kinds: ReceiverKind[] = ['slack', 'msteams', 'discord', 'webhook']
    const rs = await Promise.all(kinds.map((k) => receiver(k)))
    const env = Object.fromEntries(rs.map((r) => [`URL_${r.kind.toUpperCase()}`, r.url]))
    const n = notifier(
      kinds.map((k) => plan(k, `URL_${k.toUpperCase()}`)),
      env,
    )
    n.publish('checkout', rolledBack)
    await n.idle()
    const expected = rolledBack
      .filter((e) => NOTIFIED_BY_DEFAULT.includes(e.reason))
      .map((e) => e.reason)
    expect(expected).toEqual(['NewRevision', 'RolledBack'])
    for (const r of rs) {
      expect(r.requests.map((q) => q.problems)).toEqual(expected.map(() => []))
      expect(r.accepted()).toHaveLength(expected.length)
      expect(statsOf(n, r.kind)).toMatchObject({
        sent: 2,
        failed: 0,
        dropped: 0,
        retries: 0,
        queued: 0,
      })
    }
    const hooks = rs[3]?.accepted() as { reason: string; revision: number }[]
    expect(hooks.map((h) => h.reason)).toEqual(expected)
  })

  it('filters by severity and by the events listed', async () => {
    const slack = await receiver('slack')
    const hook = await receiver('webhook')
    const n = notifier(
      [
        plan('slack', 'S', { severity: 'error' }),
        plan('webhook', 'W', { events: ['TrafficShifted', 'Promoted'] }),
      ],
      { S: slack.url, W: hook.url },
    )
    n.publish('checkout', [...rolledBack, ...promoted])
    await n.idle()
    expect((slack.accepted() as { text: string }[]).map((b) => b.text)).toEqual([
      expect.stringMatching(/^checkout: revision 2 rolled back at 5%/),
    ])
    const reasons = (hook.accepted() as { reason: string }[]).map((b) => b.reason)
    expect(reasons).toEqual(
      [...rolledBack, ...promoted]
        .filter((e) => e.reason === 'TrafficShifted' || e.reason === 'Promoted')
        .map((e) => e.reason),
    )
  })

  it('publishes without waiting for any answer', async () => {
    const hang = await receiver('webhook', 'hang')
    const n = notifier([plan('webhook', 'W', { timeoutSeconds: 30 })], { W: hang.url })
    n.publish('checkout', rolledBack)
    // publish returned: nothing has reached the receiver yet, and the messages wait in the queue
    expect(hang.requests).toHaveLength(0)
    expect(statsOf(n, 'webhook').queued).toBe(2)
  })

  it('tries again after a 5xx and delivers', async () => {
    const r = await receiver('slack', { status: 500, body: 'rollup_error', times: 2 })
    const n = notifier([plan('slack', 'S', { retries: 3 })], { S: r.url })
    n.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'RolledBack'),
    )
    await n.idle()
    expect(r.requests).toHaveLength(3)
    expect(r.accepted()).toHaveLength(1)
    expect(statsOf(n, 'slack')).toMatchObject({ sent: 1, failed: 0, retries: 2, lastError: null })
  })

  it('waits as long as a 429 asks before trying again', async () => {
    const r = await receiver('discord', { rateLimited: 1 })
    const n = notifier([plan('discord', 'D')], { D: r.url })
    n.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'RolledBack'),
    )
    await n.idle()
    expect(r.requests).toHaveLength(2)
    const [first, second] = r.requests
    // Discord said retry_after 1 (second); the retry delay alone is 20 ms
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990)
    expect(statsOf(n, 'discord')).toMatchObject({ sent: 1, retries: 1 })
  })

  it('does not try again when the service refuses the message itself', async () => {
    const r = await receiver('slack', { status: 400, body: 'invalid_payload' })
    const log: string[] = []
    const n = notifier([plan('slack', 'S', { retries: 5 })], { S: r.url }, log)
    n.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'RolledBack'),
    )
    await n.idle()
    expect(r.requests).toHaveLength(1)
    expect(statsOf(n, 'slack')).toMatchObject({
      sent: 0,
      failed: 1,
      retries: 0,
      lastError: 'HTTP 400: invalid_payload',
    })
    expect(log.join('\n')).toMatch(
      /notification slack \(slack, environment variable S\): RolledBack not sent after 1 attempt: HTTP 400: invalid_payload/,
    )
  })

  it('counts a receiver that is down, after its retries, and never shows the secret URL', async () => {
    const down = await downUrl('slack')
    const log: string[] = []
    const n = notifier([plan('slack', 'S', { retries: 2 })], { S: down.url }, log)
    n.publish('checkout', rolledBack)
    await n.idle()
    const s = statsOf(n, 'slack')
    expect(s).toMatchObject({ sent: 0, failed: 2, retries: 4, lastError: 'connection refused' })
    expect(s.lastErrorAt).not.toBeNull()
    const shown = JSON.stringify(n.stats()) + log.join('\n')
    expect(log).toHaveLength(2)
    expect(shown).not.toContain(down.token)
    expect(shown).not.toContain(down.url)
  })

  it('gives up on a receiver that hangs after its timeout', async () => {
    const hang = await receiver('msteams', 'hang')
    const n = notifier([plan('msteams', 'T', { timeoutSeconds: 0.2, retries: 1 })], { T: hang.url })
    n.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'RolledBack'),
    )
    await n.idle()
    expect(hang.requests).toHaveLength(2)
    expect(statsOf(n, 'msteams')).toMatchObject({
      failed: 1,
      retries: 1,
      lastError: 'no answer within 200 ms',
    })
  })

  it('keeps at most maxQueued waiting, dropping the oldest, and accounts for every message', async () => {
    const hang = await receiver('webhook', 'hang')
    const n = notifier(
      [
        plan('webhook', 'W', {
          events: [
            'TrafficShifted',
            'StepCompleted',
            'AnalysisStarted',
            'AnalysisSuccessful',
            'Promoted',
            'NewRevision',
          ],
          timeoutSeconds: 30,
        }),
      ],
      { W: hang.url },
      [],
      { maxQueued: 3 },
    )
    n.publish('checkout', promoted)
    const total = promoted.length
    expect(total).toBeGreaterThan(10)
    expect(statsOf(n, 'webhook')).toMatchObject({ dropped: total - 3, queued: 3 })
    await n.close(0)
    const s = statsOf(n, 'webhook')
    expect(s.sent + s.failed + s.dropped).toBe(total)
    n.publish('checkout', promoted)
    expect(statsOf(n, 'webhook').queued).toBe(0)
  })

  it('keeps waiting messages in the outbox when it stops, and the next notifier sends them in order', async () => {
    const rows = new Map<number, { rollout: string; notice: Notice }>()
    let next = 1
    const outbox: Outbox = {
      add: (rollout, notice) => {
        rows.set(next, { rollout, notice: JSON.parse(JSON.stringify(notice)) as Notice })
        return next++
      },
      remove: (id) => void rows.delete(id),
      pending: (rollout) =>
        [...rows]
          .filter(([, r]) => r.rollout === rollout)
          .map(([id, r]) => ({ id, notice: r.notice })),
    }
    const hang = await receiver('webhook', 'hang')
    const first = notifier([plan('webhook', 'W', { timeoutSeconds: 30 })], { W: hang.url }, [], {
      outbox,
    })
    first.publish('checkout', rolledBack)
    expect(rows.size).toBe(2)
    await first.close(0)
    // Kept, not dropped: a send cut short by the stop is still waiting.
    expect(statsOf(first, 'webhook')).toMatchObject({ sent: 0, failed: 0, dropped: 0 })
    expect([...rows.values()].map((r) => r.notice.reason)).toEqual(['NewRevision', 'RolledBack'])

    const up = await receiver('webhook')
    const log: string[] = []
    const second = notifier([plan('webhook', 'W')], { W: up.url }, log, { outbox })
    second.resume('elsewhere')
    expect(second.stats()).toEqual([])
    second.resume('checkout')
    await second.idle()
    expect((up.accepted() as { reason: string }[]).map((b) => b.reason)).toEqual([
      'NewRevision',
      'RolledBack',
    ])
    expect(up.requests.map((q) => q.problems)).toEqual([[], []])
    expect(statsOf(second, 'webhook')).toMatchObject({ sent: 2, dropped: 0, queued: 0 })
    expect(rows.size).toBe(0)
    expect(log).toContain(
      'rollout checkout: 2 notification messages kept from before the restart queued again',
    )

    // A kept message whose notification left the spec is dropped with a line saying so.
    outbox.add('checkout', { ...noticeOf('checkout', 'gone', rolledBack[0] as EngineEvent) })
    const third = notifier([plan('webhook', 'W')], { W: up.url }, log, { outbox })
    third.resume('checkout')
    expect(rows.size).toBe(0)
    expect(log.at(-2)).toMatch(
      /notification gone is no longer in the spec; its kept NewRevision message is dropped/,
    )
  })

  it('keeps its counts where the next notifier finds them, and goes on from there', async () => {
    let kept: Record<string, KeptCounts> = {}
    let saves = 0
    const counts: CountsKeeper = {
      load: () => JSON.parse(JSON.stringify(kept)) as Record<string, KeptCounts>,
      save: (c) => {
        kept = JSON.parse(JSON.stringify(c)) as Record<string, KeptCounts>
        saves++
      },
    }
    // one refusal (not tried again), then acceptance
    const flaky = await receiver('webhook', { status: 400, body: 'bad', times: 1 })
    const first = notifier([plan('webhook', 'W', { retries: 0 })], { W: flaky.url }, [], {
      counts,
    })
    first.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'NewRevision' || e.reason === 'RolledBack'),
    )
    await first.idle()
    const before = statsOf(first, 'webhook')
    expect(before).toMatchObject({ sent: 1, failed: 1, dropped: 0 })
    expect(before.lastError).toMatch(/400/)
    expect(kept.webhook).toMatchObject({ sent: 1, failed: 1, lastError: before.lastError })
    const savesAfterFirst = saves
    await first.close(0)

    // A new notifier (a restarted daemon) shows them before anything is published…
    const up = await receiver('webhook')
    const second = notifier([plan('webhook', 'W')], { W: up.url }, [], { counts })
    expect(statsOf(second, 'webhook')).toMatchObject({
      sent: 1,
      failed: 1,
      lastError: before.lastError,
      queued: 0,
    })
    // …and counts on from them.
    second.publish(
      'checkout',
      promoted.filter((e) => e.reason === 'Promoted'),
    )
    await second.idle()
    expect(statsOf(second, 'webhook')).toMatchObject({ sent: 2, failed: 1 })
    expect(kept.webhook).toMatchObject({ sent: 2, failed: 1 })
    // an unchanged count costs no write
    const settled = saves
    expect(settled).toBeGreaterThan(savesAfterFirst)
    second.stats()
    second.publish('checkout', [])
    expect(saves).toBe(settled)

    // Counts that cannot be read start at zero, with a line saying so.
    const log: string[] = []
    const third = notifier([plan('webhook', 'W')], { W: up.url }, log, {
      counts: {
        load: () => {
          throw new Error('unreadable')
        },
        save: () => undefined,
      },
    })
    expect(third.stats()).toEqual([])
    expect(log).toEqual([
      'notification counts from before the restart cannot be read; they start at zero (unreadable)',
    ])
  })

  it('reads the URL from a file relative to the manifest, again for each message', async () => {
    const first = await receiver('webhook')
    const second = await receiver('webhook')
    const dir = mkdtempSync(join(tmpdir(), 'kanari-notify-'))
    writeFileSync(join(dir, 'hook-url'), `${first.url}\n`)
    const n = notifier([{ ...plan('webhook', 'unused'), urlFrom: { file: 'hook-url' } }], {}, [], {
      baseDir: dir,
    })
    n.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'NewRevision'),
    )
    await n.idle()
    writeFileSync(join(dir, 'hook-url'), second.url)
    n.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'RolledBack'),
    )
    await n.idle()
    expect((first.accepted() as { reason: string }[]).map((b) => b.reason)).toEqual(['NewRevision'])
    expect((second.accepted() as { reason: string }[]).map((b) => b.reason)).toEqual(['RolledBack'])
  })

  it('never throws from publish, whatever goes wrong while queueing', () => {
    const log: string[] = []
    const n = new Notifier({
      notifications: () => {
        throw new Error('the plan is gone')
      },
      baseDir: () => tmpdir(),
      log: (line) => log.push(line),
    })
    notifiers.push(n)
    expect(() => n.publish('checkout', rolledBack)).not.toThrow()
    expect(log).toEqual(['rollout checkout: notifications not queued: the plan is gone'])
  })

  it('counts a message whose secret cannot be read, saying where it looked', async () => {
    const log: string[] = []
    const n = notifier([plan('slack', 'NOT_SET_ANYWHERE')], {}, log)
    n.publish(
      'checkout',
      rolledBack.filter((e) => e.reason === 'RolledBack'),
    )
    await n.idle()
    expect(statsOf(n, 'slack')).toMatchObject({ failed: 1, retries: 0 })
    expect(statsOf(n, 'slack').lastError).toMatch(
      /^environment variable NOT_SET_ANYWHERE is not set in the daemon's environment/,
    )
  })
})
