/**
 * Notifications from a real local daemon: demo-app replicas released through the proxy, one release
 * promoted and one rolled back by its analysis, each announced to local Slack, Teams, Discord and
 * JSON receivers that check the services' formats field by field. A receiver that is down and one
 * that hangs slow no decision; their failures are retried, counted and shown by `kanari get` — and
 * the webhook URLs, which are secrets, show nowhere.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../src/controller/ports.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { daemonLogPath } from '../../src/local/daemon/paths.js'
import { runLoad } from '../../src/local/load/index.js'
import { NOTIFIED_BY_DEFAULT } from '../../src/spec/normalize/index.js'
import { downUrl, startReceiver, type Receiver } from '../../src/notify/test-utils/receivers.js'
import { kanariIn, kanariWithEnv, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { DEMO_APP, alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-notify-test-'))
const pids = new Set<number>()
let slack: Receiver
let teams: Receiver
let discord: Receiver
let hook: Receiver
let hang: Receiver
let down: { url: string; token: string }

const kanari = (...args: string[]) => kanariIn(stateDir, ...args)

async function view(name: string): Promise<RolloutView> {
  const v = await viewIn(stateDir, name)
  for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
  return v
}

const WATCHED = [...NOTIFIED_BY_DEFAULT, 'TrafficShifted']

function manifest(name: string, body: string, notifications: string): string {
  const file = join(stateDir, `${name}.yaml`)
  writeFileSync(
    file,
    `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: ${name} }
spec:
  replicas: 2
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { COLOR: blue }
      readiness: { httpGet: /healthz }
  service: { port: 0 }
${body}
  notifications:
${notifications}`,
  )
  return file
}

/** The four services, every one with the events people act on plus each change of traffic. */
const TEAM = `    - { name: team-slack, provider: slack, urlFrom: { env: KANARI_TEST_SLACK_URL }, events: [${WATCHED.join(', ')}] }
    - { name: team-teams, provider: msteams, urlFrom: { env: KANARI_TEST_TEAMS_URL }, events: [${WATCHED.join(', ')}] }
    - { name: team-discord, provider: discord, urlFrom: { file: discord-url }, events: [${WATCHED.join(', ')}] }
    - { name: audit, provider: webhook, urlFrom: { env: KANARI_TEST_HOOK_URL }, events: [NewRevision, Reverted, Initialized, ProgressDeadlineExceeded, WorkloadProblem, TrafficShifted, StepCompleted, Paused, PreviewReady, AnalysisStarted, AnalysisSuccessful, AnalysisFailed, AnalysisError, AnalysisInconclusive, RolledBack, Promoted, Command] }
`

/** The payloads a receiver accepted for one rollout, as the generic webhook's `rollout` or a title says. */
function about(r: Receiver, rollout: string): unknown[] {
  return r
    .accepted()
    .filter(
      (b) =>
        JSON.stringify(b).includes(`${rollout}: `) ||
        (b as { rollout?: string }).rollout === rollout,
    )
}

beforeAll(async () => {
  ;[slack, teams, discord, hook, hang] = await Promise.all([
    startReceiver('slack'),
    startReceiver('msteams'),
    startReceiver('discord'),
    startReceiver('webhook'),
    startReceiver('webhook', 'hang'),
  ])
  down = await downUrl('slack')
  writeFileSync(join(stateDir, 'discord-url'), discord.url)
  const up = await kanariWithEnv(
    stateDir,
    {
      KANARI_TEST_SLACK_URL: slack.url,
      KANARI_TEST_TEAMS_URL: teams.url,
      KANARI_TEST_HOOK_URL: hook.url,
      KANARI_TEST_DOWN_URL: down.url,
      KANARI_TEST_HANG_URL: hang.url,
    },
    'up',
    '-o',
    'json',
  )
  expect(up.code, up.stderr).toBe(0)
})

afterAll(async () => {
  await kanari('down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  await Promise.all([slack, teams, discord, hook, hang].map((r) => r.close()))
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('notifications from the local daemon', () => {
  it(
    'announces a promoted release to every service in its format, while a down and a hanging receiver slow nothing',
    { timeout: 180_000 },
    async () => {
      const file = manifest(
        'notify-good',
        `  strategy:
    canary:
      steps: [{ setWeight: 20 }, { pause: { duration: 2s } }, { setWeight: 50 }, { pause: { duration: 2s } }]
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0`,
        `${TEAM}    - { name: down, provider: slack, urlFrom: { env: KANARI_TEST_DOWN_URL }, retries: 2 }
    - { name: stuck, provider: webhook, urlFrom: { env: KANARI_TEST_HANG_URL }, events: [NewRevision, Promoted], timeout: 3s, retries: 1 }
`,
      )
      const applied = await kanari('apply', '-f', file)
      expect(applied.code, applied.stderr).toBe(0)
      await viewWhenIn(
        stateDir,
        'notify-good',
        (v) => v.status.phase === 'Healthy',
        'revision 1 Healthy',
        60_000,
      )
      expect((await kanari('set', 'env', 'notify-good', 'COLOR=green')).code).toBe(0)
      const done = await viewWhenIn(
        stateDir,
        'notify-good',
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'revision 2 promoted',
        90_000,
      )
      await view('notify-good')

      // The pause of 2 s ended at the first tick after it: the hanging and the down receiver, each
      // already holding messages, held up no decision.
      const all = await kanari('get', 'rollout', 'notify-good', '--events', '0', '-o', 'json')
      const events = (JSON.parse(all.stdout) as RolloutView).events
      const completed = events.filter(
        (e): e is StoredEvent & { reason: 'StepCompleted' } =>
          e.reason === 'StepCompleted' && e.revision === 2,
      )
      const shifted20 = completed.find((e) => e.step.kind === 'setWeight' && e.step.weight === 20)
      const paused = completed.find((e) => e.step.kind === 'pause')
      if (shifted20 === undefined || paused === undefined) throw new Error('steps not recorded')
      expect(paused.at - shifted20.at).toBeGreaterThanOrEqual(2000)
      // One tick (1 s) past the pause, and up to a second more for a busy machine; a tick held up
      // by the hanging receiver would take its 3 s timeout on top.
      expect(paused.at - shifted20.at).toBeLessThan(2000 + 1000 + 1000)

      // Every message reached each service in order, valid in its format.
      const expected = events.filter((e) => WATCHED.includes(e.reason)).map((e) => e.reason)
      expect(expected).toContain('Promoted')
      for (const r of [slack, teams, discord])
        await waitFor(
          () => about(r, 'notify-good').length === expected.length,
          `${r.kind} messages`,
          30_000,
        )
      await waitFor(
        () => about(hook, 'notify-good').length === events.length,
        'every event to the JSON webhook',
        30_000,
      )
      for (const r of [slack, teams, discord, hook])
        expect(r.requests.flatMap((q) => q.problems)).toEqual([])
      expect(
        (about(hook, 'notify-good') as { reason: string; revision: number }[]).map((b) => b.reason),
      ).toEqual(events.map((e) => e.reason))

      const slackLast = about(slack, 'notify-good').at(-1) as {
        text: string
        blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[]
      }
      expect(slackLast.blocks[0]).toEqual({
        type: 'header',
        text: { type: 'plain_text', text: 'notify-good: revision 2 promoted', emoji: true },
      })
      const fields = slackLast.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text)
      expect(fields).toEqual(
        expect.arrayContaining([
          '*Rollout*\nnotify-good',
          '*Revision*\n2',
          '*Canary traffic*\nrevision 2 100% (promoted)',
          '*Previous stable*\n1',
        ]),
      )
      const slackTexts = (
        about(slack, 'notify-good') as { blocks: { text?: { text: string } }[] }[]
      ).map((b) => b.blocks[0]?.text?.text)
      expect(slackTexts).toEqual(
        expect.arrayContaining([
          'notify-good: releasing revision 2 (canary)',
          'notify-good: revision 2 at 20% of traffic',
          'notify-good: revision 2 at 50% of traffic',
        ]),
      )

      const teamsLast = about(teams, 'notify-good').at(-1) as {
        type: string
        attachments: {
          contentType: string
          content: { type: string; body: { type: string; text?: string; facts?: unknown[] }[] }
        }[]
      }
      expect(teamsLast.type).toBe('message')
      expect(teamsLast.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive')
      expect(teamsLast.attachments[0]?.content.body[0]).toMatchObject({
        type: 'TextBlock',
        text: 'notify-good: revision 2 promoted',
        color: 'Good',
      })
      expect(
        teamsLast.attachments[0]?.content.body.find((b) => b.type === 'FactSet')?.facts,
      ).toContainEqual({
        title: 'Rollout',
        value: 'notify-good',
      })

      const discordLast = about(discord, 'notify-good').at(-1) as {
        embeds: { title: string; color: number; fields: { name: string; value: string }[] }[]
      }
      expect(discordLast.embeds[0]).toMatchObject({
        title: 'notify-good: revision 2 promoted',
        color: 0x2eb67d,
      })
      expect(discordLast.embeds[0]?.fields).toContainEqual({
        name: 'Revision',
        value: '2',
        inline: true,
      })

      // The receiver that is down: every message tried three times, then counted as failed; the
      // hanging one: each attempt given up after its 3 s timeout. Both shown by `kanari get`.
      const downMessages = events.filter((e) => NOTIFIED_BY_DEFAULT.includes(e.reason)).length
      const settled = await viewWhenIn(
        stateDir,
        'notify-good',
        (v) => {
          const d = v.notifications.find((n) => n.name === 'down')
          const s = v.notifications.find((n) => n.name === 'stuck')
          return d?.failed === downMessages && d.queued === 0 && s?.failed === 3 && s.queued === 0
        },
        'the down and the hanging receiver counted',
        90_000,
      )
      expect(settled.notifications.find((n) => n.name === 'down')).toMatchObject({
        provider: 'slack',
        sent: 0,
        failed: downMessages,
        retries: downMessages * 2,
        dropped: 0,
        lastError: 'connection refused',
      })
      expect(settled.notifications.find((n) => n.name === 'stuck')).toMatchObject({
        provider: 'webhook',
        sent: 0,
        failed: 3,
        retries: 3,
        lastError: 'no answer within 3000 ms',
      })
      expect(hang.requests).toHaveLength(6)
      expect(settled.notifications.find((n) => n.name === 'team-slack')).toMatchObject({
        sent: expected.length,
        failed: 0,
      })
      expect(done.status.stableRevision).toBe(2)

      const table = await kanari('get', 'rollout', 'notify-good')
      expect(table.stdout).toMatch(/Notifications:\n/)
      expect(table.stdout).toMatch(
        new RegExp(
          `  down \\(slack, info and up\\): 0 sent, ${downMessages} failed, ${downMessages * 2} retries — last failure \\d\\d:\\d\\d:\\d\\d: connection refused`,
        ),
      )
      expect(table.stdout).toMatch(
        / {2}stuck \(webhook, info and up\): 0 sent, 3 failed, 3 retries — last failure .*: no answer within 3000 ms/,
      )
      const json = await kanari('get', 'rollout', 'notify-good', '-o', 'json')
      const log = readFileSync(daemonLogPath(stateDir), 'utf8')
      expect(log).toMatch(
        /notification down \(slack, environment variable KANARI_TEST_DOWN_URL\): .* not sent after 3 attempts: connection refused/,
      )
      for (const secret of [
        slack.token,
        teams.token,
        discord.token,
        hook.token,
        hang.token,
        down.token,
      ])
        for (const shown of [table.stdout, json.stdout, log]) expect(shown).not.toContain(secret)
    },
  )

  it(
    'announces a rollback with the analysis explanation and the traffic share when it was decided',
    { timeout: 180_000 },
    async () => {
      const file = manifest(
        'notify-bad',
        `  strategy:
    canary:
      steps: [{ setWeight: 50 }, { analysis: { duration: 60s } }]
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0
  analysis:
    judge: sequential
    metrics: [{ name: error-rate, thresholdRange: { max: 1 } }]`,
        TEAM,
      )
      expect((await kanari('apply', '-f', file)).code).toBe(0)
      const v1 = await viewWhenIn(
        stateDir,
        'notify-bad',
        (v) => v.status.phase === 'Healthy',
        'revision 1 Healthy',
        60_000,
      )
      const load = new AbortController()
      const traffic = runLoad({
        url: `${v1.serviceUrl}/color`,
        rps: 40,
        durationMs: 90_000,
        concurrencyCap: 20,
        signal: load.signal,
      })
      try {
        expect((await kanari('set', 'env', 'notify-bad', 'COLOR=red', 'ERROR_RATE=60')).code).toBe(
          0,
        )
        await viewWhenIn(
          stateDir,
          'notify-bad',
          (v) => v.status.phase === 'RolledBack',
          'revision 2 rolled back by its analysis',
          90_000,
        )
      } finally {
        load.abort()
        await traffic
      }
      await view('notify-bad')
      const rolledBack = await waitFor(
        () =>
          (about(hook, 'notify-bad') as { reason: string }[]).find(
            (b) => b.reason === 'RolledBack',
          ),
        'the rollback at the JSON webhook',
        30_000,
      )
      expect(rolledBack).toMatchObject({
        kind: 'KanariNotification',
        rollout: 'notify-bad',
        notification: 'audit',
        severity: 'error',
        revision: 2,
        canaryWeight: 50,
        title: 'notify-bad: revision 2 rolled back at 50%',
        explanation: expect.stringMatching(
          // Either test can end the run first: the comparison with stable or the absolute limit.
          /^analysis failed at 50%: canary error rate [\d.]+% \(\d+\/\d+\) (vs stable|above max 1%)/,
        ) as unknown,
        next: 'users are back on stable; see why with `kanari diagnose notify-bad --revision 2`, then apply a fixed revision',
        event: { reason: 'RolledBack', cause: 'AnalysisFailed' },
      })
      const explanation = (rolledBack as unknown as { explanation: string }).explanation

      await waitFor(
        () =>
          about(slack, 'notify-bad').some((b) => JSON.stringify(b).includes('rolled back at 50%')),
        'slack rollback',
        30_000,
      )
      const slackMsg = about(slack, 'notify-bad').find((b) =>
        JSON.stringify(b).includes('rolled back at 50%'),
      ) as {
        blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[]
      }
      expect(slackMsg.blocks.map((b) => b.text?.text)).toContain(
        `*Why:* ${explanation.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`,
      )
      expect(slackMsg.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text)).toEqual(
        expect.arrayContaining([
          '*Canary traffic*\n0% (was 50% when rolled back)',
          '*Cause*\nAnalysisFailed',
        ]),
      )

      await waitFor(
        () =>
          about(teams, 'notify-bad').some((b) => JSON.stringify(b).includes('rolled back at 50%')),
        'teams rollback',
        30_000,
      )
      const teamsMsg = about(teams, 'notify-bad').find((b) =>
        JSON.stringify(b).includes('rolled back at 50%'),
      ) as {
        attachments: { content: { body: { type: string; text?: string; color?: string }[] } }[]
      }
      const body = teamsMsg.attachments[0]?.content.body ?? []
      expect(body[0]).toMatchObject({
        text: 'notify-bad: revision 2 rolled back at 50%',
        color: 'Attention',
      })
      expect(body.map((b) => b.text)).toContain(`**Why:** ${explanation}`)

      await waitFor(
        () =>
          about(discord, 'notify-bad').some((b) =>
            JSON.stringify(b).includes('rolled back at 50%'),
          ),
        'discord rollback',
        30_000,
      )
      const discordMsg = about(discord, 'notify-bad').find((b) =>
        JSON.stringify(b).includes('rolled back at 50%'),
      ) as {
        embeds: { color: number; fields: { name: string; value: string }[] }[]
      }
      expect(discordMsg.embeds[0]?.color).toBe(0xe01e5a)
      expect(discordMsg.embeds[0]?.fields).toContainEqual({
        name: 'Why',
        value: explanation,
        inline: false,
      })

      for (const r of [slack, teams, discord, hook])
        expect(r.requests.flatMap((q) => q.problems)).toEqual([])
    },
  )

  it('refuses a rollout whose webhook URL the daemon cannot read, and stores nothing', async () => {
    const file = manifest(
      'notify-missing',
      `  strategy:
    canary:
      steps: [{ setWeight: 50 }]`,
      `    - { provider: slack, urlFrom: { env: KANARI_TEST_NEVER_SET } }
`,
    )
    const res = await kanari('apply', '-f', file)
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(
      "error: rollout notify-missing: spec.notifications[0] (slack): environment variable KANARI_TEST_NEVER_SET is not set in the daemon's environment",
    )
    expect(res.stderr).toContain('nothing was changed')
    expect((await kanari('get', 'rollout', 'notify-missing')).code).toBe(3)
  })
})
