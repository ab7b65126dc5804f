/**
 * `kanari undo` after two rollbacks in a row, against a real daemon and real replicas: the default
 * goes back to the last healthy revision (CLI, and the view the dashboard's button reads), and a
 * rolled-back revision asked for by number is refused with the same words by the CLI and the API
 * unless forced. Last, the dashboard in a real browser (Debian's Chromium): with a third failed
 * revision in flight, its Undo button offers the last healthy revision and restores it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from '../helpers/browser.js'
import { kanariIn, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { demoRollout } from '../helpers/manifests.js'
import { alive } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-undo-test-'))
const replicaPids = new Set<number>()
const kanari = (...args: string[]) => kanariIn(stateDir, ...args)

function manifest(color: string): string {
  const file = join(stateDir, `web-${color}.yaml`)
  writeFileSync(file, demoRollout('web', { env: { COLOR: color } }))
  return file
}

async function colorsThrough(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const body = (await (await fetch(`${url}/color`)).json()) as { color: string }
    counts[body.color] = (counts[body.color] ?? 0) + 1
  }
  return counts
}

/** Applies `color` as a new revision, waits for its canary to pause, and aborts it. */
async function releaseAndAbort(color: string, revision: number): Promise<void> {
  expect((await kanari('apply', '-f', manifest(color))).code).toBe(0)
  const paused = await viewWhenIn(
    stateDir,
    'web',
    (v) => v.status.phase === 'Paused' && v.status.canaryRevision === revision,
    `revision ${revision} paused at 30%`,
  )
  for (const v of paused.versions) for (const pid of v.pids) replicaPids.add(pid)
  expect((await kanari('abort', 'web')).code).toBe(0)
  await viewWhenIn(
    stateDir,
    'web',
    (v) => v.status.phase === 'RolledBack',
    `r${revision} rolled back`,
  )
}

beforeAll(async () => {
  expect((await kanari('apply', '-f', manifest('blue'))).code).toBe(0)
  await viewWhenIn(stateDir, 'web', (v) => v.status.phase === 'Healthy', 'web r1 Healthy')
  await releaseAndAbort('green', 2)
  await releaseAndAbort('red', 3)
}, 120_000)

afterAll(async () => {
  await kanari('down')
  for (const pid of replicaPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('undo after two rollbacks in a row', () => {
  it('refuses a rolled-back revision by number, in the CLI and the API with the same words, unless forced', async () => {
    const v = await viewIn(stateDir, 'web')
    // What the dashboard's "Undo to rN" button offers.
    expect(v.undo).toEqual({
      defaultRevision: 1,
      revisions: [
        { revision: 1, outcome: 'healthy' },
        { revision: 2, outcome: 'rolledBack' },
        { revision: 3, outcome: 'rolledBack' },
      ],
    })
    const cli = await kanari('undo', 'web', '--to-revision', '2')
    expect(cli.code).toBe(4)
    expect(cli.stdout).toBe('')
    const words =
      'revision 2 of rollout web was rolled back (aborted by user); undo would send users to it again'
    expect(cli.stderr).toContain(words)
    expect(cli.stderr).toContain('--force')

    const { url, token } = JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as {
      url: string
      token: string
    }
    const res = await fetch(`${url}/api/v1/rollouts/web/undo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ toRevision: 2 }),
    })
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ error: { code: 'KANARI_CONFLICT', message: words } })
    // Nothing changed: still revision 3 rolled back, no new revision.
    expect((await viewIn(stateDir, 'web')).revision).toBe(3)
  })

  it('`undo` goes back to the last healthy revision, not to the rolled-back one before the current', async () => {
    const undo = await kanari('undo', 'web')
    expect(undo.code).toBe(0)
    expect(undo.stdout).toBe('rollout/web reverted to stable revision 1\n')
    const back = await viewWhenIn(
      stateDir,
      'web',
      (v) => v.status.phase === 'Healthy' && v.status.canaryRevision === null,
      'web back on revision 1',
    )
    expect(back.revision).toBe(1)
    expect(await colorsThrough(back.serviceUrl, 20)).toEqual({ blue: 20 })
  })

  it('--force releases a rolled-back revision again, as a new revision', async () => {
    const forced = await kanari('undo', 'web', '--to-revision', '3', '--force', '-o', 'json')
    expect(forced.code).toBe(0)
    expect(JSON.parse(forced.stdout)).toMatchObject({
      results: [{ name: 'web', revision: 4, result: 'new revision' }],
    })
    const paused = await viewWhenIn(
      stateDir,
      'web',
      (v) => v.status.phase === 'Paused' && v.status.canaryRevision === 4,
      'revision 4 (red again) paused at 30%',
    )
    for (const v of paused.versions) for (const pid of v.pids) replicaPids.add(pid)
  })

  it("the dashboard's Undo button, with a third failed revision in flight, restores the last healthy one", async () => {
    // Now: r1 stable, r2 and r3 rolled back, r4 (red again) paused as a canary. "The one before the
    // current" would be r3, rolled back; the button must offer r1.
    const signIn = await kanari('dashboard', '-o', 'json')
    expect(signIn.code).toBe(0)
    const { url, loginUrl } = JSON.parse(signIn.stdout) as { url: string; loginUrl: string }
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      await page.goto(loginUrl)
      await page.goto(`${url}#/rollouts/web`)
      await page.locator('#session[data-can-act="true"]').waitFor({ timeout: 15_000 })
      const undo = page.locator('button[data-action="undo"]')
      await undo.waitFor({ timeout: 15_000 })
      expect(await undo.textContent()).toBe('Undo to r1')
      await undo.click()
      const effect = await page.locator('#confirm-effect').textContent()
      expect(effect).toContain('Goes back to the stable r1')
      expect(effect).toContain('the canary r4 is dropped')
      await page.locator('button[data-confirm="undo"]').click()
      await page.locator('#action-result', { hasText: '✓' }).waitFor({ timeout: 15_000 })
    } finally {
      await browser.close()
    }
    const back = await viewWhenIn(
      stateDir,
      'web',
      (v) => v.status.phase !== 'Paused' && v.status.canaryRevision === null,
      'web back on revision 1 after the dashboard undo',
    )
    expect(back.status.stableRevision).toBe(1)
    expect(await colorsThrough(back.serviceUrl, 20)).toEqual({ blue: 20 })
  }, 120_000)
})
