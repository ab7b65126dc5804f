/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real daemon
 * running real replicas of the demo app under real load: the list, a canary followed live, a
 * rollback with its explanation, actions refused without a session and carried out with one, and
 * the "what if" panel against `kanari simulate`. Screenshots go to test-results/dashboard/.
 */
import { spawn } from 'node:child_process'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLoad } from '../../src/local/load/index.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { launchBrowser, type TestBrowser } from '../helpers/browser.js'
import { runKanari } from '../helpers/cli.js'
import { kanariIn, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { DEMO_APP, KANARI_BIN, freePort, waitFor } from '../helpers/processes.js'

const SHOTS = join(import.meta.dirname, '../../test-results/dashboard')

function rolloutYaml(options: {
  port: number
  color: string
  env?: Record<string, string>
}): string {
  const env = Object.entries({ COLOR: options.color, LATENCY_MS: '3', ...options.env })
    .map(([k, v]) => `${k}: "${v}"`)
    .join(', ')
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: shop }
spec:
  replicas: 2
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { ${env} }
      readiness: { httpGet: /healthz }
  service: { port: ${options.port} }
  strategy:
    canary:
      steps:
        - setWeight: 20
        - pause: { duration: 3s }
        - setWeight: 40
        - pause: { duration: 3s }
        - analysis: { duration: 8s }
        - setWeight: 60
        - pause: {}
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0
  analysis:
    interval: 2s
    judge: sequential
    alpha: 0.05
    minCanaryRequests: 20
    metrics:
      - name: error-rate
        thresholdRange: { max: 2 }
      - name: latency-p99
        thresholdRange: { max: 300 }
  progressDeadlineSeconds: 120
`
}

let dir: string
let apiUrl: string
let token: string
let servicePort: number
let viewer: TestBrowser
let operator: TestBrowser
const load = new AbortController()
let loadRun: Promise<unknown> = Promise.resolve()

const kanari = (...args: string[]) => kanariIn(dir, ...args)

/** How long the page took to show each change, written beside the screenshots. */
const timings: Record<string, unknown> = {}

async function applyColor(color: string, env: Record<string, string> = {}): Promise<void> {
  const file = join(dir, `shop-${color}.yaml`)
  writeFileSync(file, rolloutYaml({ port: servicePort, color, env }))
  const res = await kanari('apply', '-f', file)
  if (res.code !== 0) throw new Error(`apply failed: ${res.stderr}`)
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  dir = mkdtempSync(join(tmpdir(), 'kanari-dashboard-'))
  const up = await kanari('up')
  if (up.code !== 0) throw new Error(`kanari up failed: ${up.stderr}`)
  const info = JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as {
    url: string
    token: string
  }
  apiUrl = info.url
  token = info.token
  servicePort = await freePort()
  viewer = await launchBrowser()
  operator = await launchBrowser()
}, 120_000)

afterAll(async () => {
  writeFileSync(join(SHOTS, 'timings.json'), JSON.stringify(timings, null, 2) + '\n')
  load.abort()
  await loadRun.catch(() => undefined)
  await viewer.close()
  await operator.close()
  await kanari('down')
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

/** The rollout as the API (not the page) says it is. */
async function viewOverApi(): Promise<RolloutView> {
  const res = await fetch(`${apiUrl}/api/v1/rollouts/shop`)
  expect(res.status).toBe(200)
  return (await res.json()) as RolloutView
}

describe('dashboard in Chromium', () => {
  it('lists a rollout within a second of apply, with no login', async () => {
    const page = await viewer.context.newPage()
    await page.goto(`${apiUrl}/`)
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 15_000 })
    await applyColor('blue')
    const applied = Date.now()
    await page.locator('tr[data-rollout="shop"]').waitFor({ timeout: 1000 })
    timings.listAfterApplyMs = Date.now() - applied
    await viewWhenIn(dir, 'shop', (v) => v.status.phase === 'Healthy', 'v1 healthy', 60_000)
    await page
      .locator('tr[data-rollout="shop"] .phase', { hasText: 'Healthy' })
      .waitFor({ timeout: 3000 })
    loadRun = runLoad({
      url: `http://127.0.0.1:${servicePort}/color`,
      rps: 40,
      durationMs: 5 * 60_000,
      concurrencyCap: 40,
      signal: load.signal,
    })
    await page.setViewportSize({ width: 390, height: 844 })
    await shot(page, 'list-phone')
    await page.setViewportSize({ width: 1280, height: 800 })
    await shot(page, 'list')
    await page.close()
  }, 120_000)

  it('follows a canary: the step marker and the weight chart within 2 s of each change', async () => {
    const page = await viewer.context.newPage()
    await page.goto(`${apiUrl}/#/rollouts/shop`)
    await page.locator('#steps').waitFor({ timeout: 15_000 })
    await applyColor('green')
    const seen: string[] = []
    const lags: number[] = []
    const deadline = Date.now() + 90_000
    for (;;) {
      // Polled over HTTP (not the CLI) so that no change of the engine goes by unseen.
      const s = (await viewOverApi()).status
      const key = `${s.currentStepIndex}@${s.traffic.canaryWeight}`
      if (s.canaryRevision !== null && !seen.includes(key)) {
        seen.push(key)
        const t0 = Date.now()
        await page
          .locator(`#steps li[aria-current="step"][data-step-index="${s.currentStepIndex}"]`)
          .waitFor({ timeout: 2000 })
        await page
          .locator(`#chart-weight[data-latest="${s.traffic.canaryWeight}%"]`)
          .waitFor({ timeout: 2000 })
        lags.push(Date.now() - t0)
      }
      if (s.phase === 'Paused' && s.currentStepIndex === 6) break
      if (Date.now() > deadline || s.phase === 'RolledBack')
        throw new Error(`canary did not reach its last pause: ${s.phase} ${s.message}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    // Every weight the canary went through was seen on the page.
    expect(seen.map((k) => Number(k.split('@')[1]))).toEqual(expect.arrayContaining([20, 40, 60]))
    expect(Math.max(...lags)).toBeLessThan(2000)
    timings.canaryChanges = seen
    timings.pageLagMs = lags
    // Each line names the revision it belongs to, and the release's start is marked.
    const { canaryRevision, stableRevision } = (await viewOverApi()).status
    await page
      .locator(
        `#chart-errors[data-series*="r${canaryRevision} canary"][data-series*="r${stableRevision} stable"]`,
      )
      .waitFor({ timeout: 3000 })
    expect(await page.locator('#chart-weight').getAttribute('data-series')).toContain(
      `r${canaryRevision} canary weight`,
    )
    expect(await page.locator('#chart-weight').getAttribute('data-boundaries')).toContain(
      `r${canaryRevision} released`,
    )
    await shot(page, 'rollout-mid-canary')
    await page.setViewportSize({ width: 390, height: 844 })
    await shot(page, 'rollout-mid-canary-phone')
    await page.close()
  }, 150_000)

  it('refuses every action without a session, and changes nothing', async () => {
    const page = await viewer.context.newPage()
    await page.goto(`${apiUrl}/#/rollouts/shop`)
    await page.locator('#session[data-can-act="false"]').waitFor({ timeout: 15_000 })
    for (const action of ['abort', 'promote-full', 'promote', 'resume']) {
      // Read-only, the actions are shown disabled, saying why, before anyone asks for a confirmation.
      const button = page.locator(`button[data-action="${action}"]`)
      await page.locator(`button[data-action="${action}"]:disabled`).waitFor({ timeout: 5000 })
      expect(await button.getAttribute('title')).toMatch(/^Read-only: this browser has no session/)
      await button.click({ force: true })
      expect(await page.locator('#confirm-effect').count()).toBe(0)
    }
    // The page's own scripts cannot act either: the daemon answers 401.
    const status = await page.evaluate(async () => {
      const r = await fetch('/api/v1/rollouts/shop/abort', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-kanari-dashboard': '1' },
        body: '{}',
      })
      return r.status
    })
    expect(status).toBe(401)
    const v = await viewIn(dir, 'shop')
    expect(v.status.phase).toBe('Paused')
    expect(v.status.traffic.canaryWeight).toBe(60)
    await page.close()
  }, 60_000)

  it('aborts with a session from `kanari dashboard`: traffic goes back to stable', async () => {
    const res = await kanari('dashboard', '-o', 'json')
    expect(res.code).toBe(0)
    const out = JSON.parse(res.stdout) as { url: string; loginUrl: string }
    expect(out.url).toBe(`${apiUrl}/`)
    expect(out.loginUrl).not.toContain(token)
    const page = await operator.context.newPage()
    await page.goto(out.loginUrl)
    // The sign-in link leaves the address bar at once, and works only once.
    expect(page.url()).toBe(`${apiUrl}/`)
    expect((await fetch(out.loginUrl, { redirect: 'manual' })).status).toBe(401)
    await page.goto(`${apiUrl}/#/rollouts/shop`)
    await page.locator('#session[data-can-act="true"]').waitFor({ timeout: 15_000 })
    await page.locator('button[data-action="abort"]').click()
    const effect = await page.locator('#confirm-effect').textContent()
    expect(effect).toContain('all users go back to the stable r')
    expect(effect).toContain('60% of users now')
    await page.locator('button[data-confirm="abort"]').click()
    await page.locator('#action-result', { hasText: 'done' }).waitFor({ timeout: 10_000 })
    const body = await viewOverApi()
    expect(body.status.phase).toBe('RolledBack')
    expect(body.status.traffic.canaryWeight).toBe(0)
    expect(body.status.abort?.cause).toBe('UserAbort')
    await page.locator('#phase', { hasText: 'Rolled back' }).waitFor({ timeout: 5000 })
    await page.close()
  }, 60_000)

  it('shows a rollback: the failed step and the verdict with its explanation', async () => {
    const page = await viewer.context.newPage()
    await page.goto(`${apiUrl}/#/rollouts/shop`)
    await page.locator('#steps').waitFor({ timeout: 15_000 })
    await applyColor('red', { ERROR_RATE: '40' })
    const v = await viewWhenIn(
      dir,
      'shop',
      (x) => x.status.phase === 'RolledBack' && x.status.lastOutcome?.result === 'RolledBack',
      'the faulty canary rolled back',
      90_000,
    )
    const failedAt = v.status.lastOutcome?.stepIndex ?? -1
    await page
      .locator(`#steps li[data-state="failed"][data-step-index="${failedAt}"]`)
      .waitFor({ timeout: 5000 })
    const rolledBack = v.events.findLast((e) => e.reason === 'RolledBack')
    if (rolledBack === undefined || !('explanation' in rolledBack))
      throw new Error('no RolledBack event')
    const decision = page.locator('#decisions li[data-reason="RolledBack"]').first()
    await decision.waitFor({ timeout: 5000 })
    expect(await decision.locator('.explanation').textContent()).toBe(rolledBack.explanation)
    // The sequential judge's evidence is shown with the verdict that ended its run, as the verdict
    // event carries it. Its likelihood ratio crossed the bound when the comparison with stable failed
    // the canary; when the metric's absolute limit (`thresholdRange.max`, "above max" in the
    // explanation) did, it may still be under.
    const failedEvent = v.events.findLast((e) => e.reason === 'AnalysisFailed')
    if (failedEvent?.reason !== 'AnalysisFailed') throw new Error('no AnalysisFailed event')
    const carried = failedEvent.evidence ?? []
    expect(carried.map((e) => e.metric)).toEqual(['error-rate', 'latency-p99'])
    const failed = page.locator('#decisions li[data-reason="AnalysisFailed"]').first()
    await failed.waitFor({ timeout: 5000 })
    const evidence = await failed.locator('.evidence').textContent()
    expect(evidence).toMatch(/^error-rate: likelihood ratio [\d.e+]+ [≥<] bound [\d.e+]+/)
    for (const e of carried)
      expect(evidence).toContain(
        `${e.metric}: likelihood ratio ${Math.exp(e.logLikelihoodRatio).toPrecision(3)} ${e.logLikelihoodRatio >= e.logBound ? '≥' : '<'} bound ${Math.exp(e.logBound).toPrecision(3)}`,
      )
    if (!/above max/.test(failedEvent.explanation)) {
      expect(carried.some((e) => e.logLikelihoodRatio >= e.logBound)).toBe(true)
      expect(evidence).toMatch(/likelihood ratio .* ≥ bound/)
    }
    // Hovering the decision line on a chart shows the verdict's explanation.
    const over = page.locator('#chart-errors .u-over')
    const box = await over.boundingBox()
    if (box === null) throw new Error('the error-rate chart has no plot area')
    const tip = page.locator('#chart-errors .chart-tip')
    for (let x = box.width - 1; x > 0 && !(await tip.isVisible()); x -= 2)
      await page.mouse.move(box.x + x, box.y + box.height / 2)
    expect(await tip.textContent()).toContain(failedEvent.explanation)
    await page.locator('#chart-evidence').waitFor({ timeout: 5000 })
    await shot(page, 'rollout-after-rollback')
    await page.close()
  }, 120_000)

  it('what if: the same decision as `kanari simulate` with the same inputs, for each judge', async () => {
    const page = await viewer.context.newPage()
    await page.goto(`${apiUrl}/#/rollouts/shop/what-if`)
    await page.locator('#wi-error').fill('6')
    await page.locator('#wi-rps').fill('150')
    await page.locator('#wi-fail-at').fill('40')
    await page
      .locator('.judge[data-judge="sequential"] [data-field="outcome"]')
      .waitFor({ timeout: 30_000 })
    await waitFor(
      async () => (await page.locator('[role="status"]', { hasText: 'Up to date.' }).count()) > 0,
      'the simulations to finish',
      60_000,
    )
    const command = (await page.locator('#what-if-command').textContent()) ?? ''
    const flags = command.split(' ').slice(4)
    expect(flags).toEqual(['--rps', '150', '--canary-error-rate', '6', '--fail-at-weight', '40'])
    const spec = readFileSync(join(dir, 'shop-red.yaml'), 'utf8')
    for (const judge of ['threshold', 'limit', 'sequential']) {
      const file = join(dir, `what-if-${judge}.yaml`)
      writeFileSync(file, spec.replace('judge: sequential', `judge: ${judge}`))
      const cli = await runKanari(['simulate', '-f', file, ...flags, '-o', 'json'])
      expect(cli.code).toBe(0)
      const want = JSON.parse(cli.stdout) as {
        outcome: string
        decisionSeconds: number
        failedRequests: number
      }
      const col = page.locator(`.judge[data-judge="${judge}"]`)
      expect(await col.locator('[data-field="outcome"]').textContent()).toBe(want.outcome)
      expect(Number(await col.locator('[data-field="decision-seconds"]').textContent())).toBe(
        want.decisionSeconds,
      )
      expect(Number(await col.locator('[data-field="failed-requests"]').textContent())).toBe(
        want.failedRequests,
      )
    }
    await shot(page, 'what-if')
    await page.close()
  }, 180_000)

  it('reconnects on its own when the daemon comes back on the same address', async () => {
    const page = await viewer.context.newPage()
    await page.goto(`${apiUrl}/`)
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 15_000 })
    expect((await kanari('down')).code).toBe(0)
    await page.locator('#connection', { hasText: 'reconnecting' }).waitFor({ timeout: 15_000 })
    const port = new URL(apiUrl).port
    const log = openSync(join(dir, 'daemon-again.log'), 'a')
    const child = spawn(
      process.execPath,
      [KANARI_BIN, 'daemon', '--state-dir', dir, '--api-port', port],
      { detached: true, stdio: ['ignore', log, log] },
    )
    child.unref()
    closeSync(log)
    // No reload: the same page is live again and lists the resumed rollout.
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 })
    await page.locator('tr[data-rollout="shop"]').waitFor({ timeout: 10_000 })
    await page.close()
  }, 90_000)
})
