/** `kanari simulate` in-process: the seed scenario, determinism, the JSON shape, and bad flags. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d: Buffer) => (out += d.toString()))
  stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await main(args, { io: { stdout, stderr } })
  return { code, stdout: out, stderr: err }
}

interface SimJson {
  outcome: string
  reason: string
  webhooks: { name: string; type: string; status: number; calls: number }[]
  decisionSeconds: number
  totalRequests: number
  canaryRequests: number
  failedRequests: number
  mirroredRequests: number
  steps: {
    action: string
    canaryPercent: number
    userGroup?: string
    monitoring: string
    detail: string
    next: string
  }[]
}

async function simulate(...args: string[]): Promise<SimJson> {
  return simulateFile('examples/canary.yaml', ...args)
}

async function simulateFile(file: string, ...args: string[]): Promise<SimJson> {
  const res = await run('simulate', '-f', file, '--output', 'json', ...args)
  expect(res.stderr).toBe('')
  expect(res.code).toBe(0)
  return JSON.parse(res.stdout) as SimJson
}

describe('kanari simulate', () => {
  it('reproduces the seed: 5% → 25% → 50%, a fault that shows only at 50% is caught there and rolled back', async () => {
    const r = await simulate('--canary-error-rate', '15', '--fail-at-weight', '50')
    expect(r.outcome).toBe('RolledBack')
    const widened = r.steps
      .filter((s) => s.monitoring === 'Pending' && s.canaryPercent > 0)
      .map((s) => s.canaryPercent)
    expect(widened).toEqual([5, 25, 50])
    const issue = r.steps.find((s) => s.monitoring === 'Issues detected')
    expect(issue).toMatchObject({ canaryPercent: 50, next: 'Rollback canary' })
    expect(issue?.detail).toMatch(/canary error rate/)
    expect(r.steps.at(-1)).toMatchObject({ action: 'Rollback canary', next: 'End deployment' })
    expect(r.failedRequests).toBeGreaterThan(0)
    expect(r.failedRequests).toBeLessThan(100)
  })

  it('promotes a healthy canary through every step', async () => {
    const r = await simulate()
    expect(r.outcome).toBe('Promoted')
    expect(r.steps.filter((s) => s.monitoring === 'No issues').map((s) => s.canaryPercent)).toEqual(
      [5, 25, 50],
    )
    expect(r.steps.at(-1)).toMatchObject({ action: 'Promote canary', canaryPercent: 100 })
    expect(r.failedRequests).toBe(0)
  })

  it('stops a clearly bad canary at its first step after few failed requests', async () => {
    const r = await simulate('--canary-error-rate', '15')
    expect(r.outcome).toBe('RolledBack')
    expect(r.steps.find((s) => s.monitoring === 'Issues detected')?.canaryPercent).toBe(5)
    expect(r.failedRequests).toBeLessThan(20)
  })

  it('A/B: only header-matched users reach the canary; a bad one is rolled back', async () => {
    const good = await simulateFile('examples/ab-testing.yaml', '--match-rate', '10')
    expect(good.outcome).toBe('Promoted')
    // 10% of requests match: the binomial spread over the run stays well inside ±2 points
    const share = good.canaryRequests / good.totalRequests
    expect(share).toBeGreaterThan(0.08)
    expect(share).toBeLessThan(0.12)
    expect(good.steps[1]).toMatchObject({
      action: 'Route matching users to canary',
      canaryPercent: 0,
      userGroup: 'users with x-canary: insider or cookie beta=1',
    })
    const bad = await simulateFile('examples/ab-testing.yaml', '--canary-error-rate', '15')
    expect(bad.outcome).toBe('RolledBack')
    const none = await simulateFile('examples/ab-testing.yaml', '--match-rate', '0')
    expect(none.canaryRequests).toBe(0)
    expect(none.outcome).toBe('RolledBack') // no data is never a pass: the progress deadline ends it
  })

  it('blue-green: the preview is judged on mirrored copies, so users never meet a bad one', async () => {
    const good = await simulateFile('examples/blue-green.yaml')
    expect(good.outcome).toBe('Promoted')
    expect(good.mirroredRequests).toBeGreaterThan(0)
    const bad = await simulateFile('examples/blue-green.yaml', '--canary-error-rate', '15')
    expect(bad.outcome).toBe('RolledBack')
    expect(bad.mirroredRequests).toBeGreaterThan(0)
    expect(bad.canaryRequests).toBe(0)
    expect(bad.failedRequests).toBe(0)
    expect(bad.steps.map((s) => s.action)).toEqual([
      'Deploy new version',
      'Open preview',
      'Monitor metrics',
      'Rollback canary',
    ])
  })

  it('gives the same output for the same seed, and another for another seed', async () => {
    const a = await run(
      'simulate',
      '-f',
      'examples/canary.yaml',
      '-o',
      'json',
      '--canary-error-rate',
      '3',
      '--seed',
      '42',
    )
    const b = await run(
      'simulate',
      '-f',
      'examples/canary.yaml',
      '-o',
      'json',
      '--canary-error-rate',
      '3',
      '--seed',
      '42',
    )
    const c = await run(
      'simulate',
      '-f',
      'examples/canary.yaml',
      '-o',
      'json',
      '--canary-error-rate',
      '3',
      '--seed',
      '43',
    )
    expect(a.stdout).toBe(b.stdout)
    expect(a.stdout).not.toBe(c.stdout)
  })

  it('prints the process table for people', async () => {
    const res = await run(
      'simulate',
      '-f',
      'examples/canary.yaml',
      '--canary-error-rate',
      '15',
      '--fail-at-weight',
      '50',
    )
    expect(res.stdout).toMatch(
      /^Step +Time +Action +Version state +User group size +Monitoring result +Next step/,
    )
    expect(res.stdout).toMatch(/Rollback canary +Stable version restored/)
    expect(res.stdout).toMatch(/Outcome: +RolledBack/)
  })

  describe('nothing to judge', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanari-not-judged-'))
    const pauseOnly = join(dir, 'pause-only.yaml')
    writeFileSync(
      pauseOnly,
      readFileSync('examples/canary.yaml', 'utf8')
        .replace(/^ {2}analysis:\n(?: {4}.*\n)+/m, '')
        .replace(/- analysis: \{ duration: 30s \}.*$/gm, '- pause: { duration: 30s }'),
    )
    const promqlOnly = join(dir, 'promql-only.yaml')
    writeFileSync(
      promqlOnly,
      readFileSync('examples/canary.yaml', 'utf8').replace(
        /^ {2}analysis:\n(?: {4}.*\n)+/m,
        [
          '  analysis:',
          '    metrics:',
          '      - name: http-5xx',
          '        thresholdRange: { max: 1 }',
          '        provider:',
          '          prometheus: { address: "http://127.0.0.1:9090", query: "sum(rate(x[1m]))" }',
          '',
        ].join('\n'),
      ),
    )

    it('a pause-only plan that fails 15% of requests is not "promoted": exit 8, not judged', async () => {
      expect(readFileSync(pauseOnly, 'utf8')).not.toMatch(/^\s*(- )?(analysis|metrics):/m)
      const res = await run('simulate', '-f', pauseOnly, '--canary-error-rate', '15', '-o', 'json')
      expect(res.stderr).toBe('')
      expect(res.code).toBe(8)
      const r = JSON.parse(res.stdout) as SimJson & { skippedMetrics: string[] }
      expect(Object.keys(r).slice(0, 2)).toEqual(['outcome', 'skippedMetrics'])
      expect(r.outcome).toBe('NotJudged')
      expect(r.reason).toMatch(/^nothing was judged: the plan has no analysis to run/)
      expect(r.skippedMetrics).toEqual([])
    })

    it('PromQL metrics it cannot simulate are listed first, before the table, and nothing is judged', async () => {
      const res = await run('simulate', '-f', promqlOnly, '--canary-error-rate', '15')
      expect(res.code).toBe(8)
      const lines = res.stdout.split('\n')
      expect(lines[0]).toMatch(/^Not simulated: +http-5xx \(only traffic metrics/)
      expect(lines[1]).toMatch(/^Not judged: +no metric was measured/)
      expect(lines[2]).toMatch(/^Step +Time +Action/)
      expect(res.stdout).toMatch(
        /Outcome: +NotJudged — nothing was judged: simulate cannot answer its metrics \(http-5xx\)/,
      )
      expect(res.stdout.match(/Not simulated/g)).toHaveLength(1)
    })
  })

  it('refuses bad flags and files with a clear message', async () => {
    const bad = await run('simulate', '-f', 'examples/canary.yaml', '--canary-error-rate', '150')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/--canary-error-rate must be a number from 0 to 100 \(got "150"\)/)
    const missing = await run('simulate', '-f', 'nope.yaml')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/cannot read nope.yaml: no such file/)
    const json = await run('simulate', '-f', 'nope.yaml', '-o', 'json')
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'KANARI_INVALID_INPUT' } })
  })

  it('lints every example clean and reports problems with exit 1', async () => {
    const ok = await run('lint', '-f', 'examples/canary.yaml', '-f', 'examples/blue-green.yaml')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toBe(
      'OK rollout/checkout (examples/canary.yaml)\nOK rollout/payments (examples/blue-green.yaml)\n',
    )
    // several files after one -f, and a directory, as kubectl takes them
    const several = await run('lint', '-f', 'examples/canary.yaml', 'examples/blue-green.yaml')
    expect(several.stdout).toBe(ok.stdout)
    const dir = await run('lint', '-f', 'examples', '-o', 'json')
    expect(dir.code).toBe(0)
    const listed = JSON.parse(dir.stdout) as { valid: boolean; objects: { file: string }[] }
    expect(listed.valid).toBe(true)
    expect(new Set(listed.objects.map((o) => o.file))).toEqual(
      new Set(
        readdirSync('examples')
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => join('examples', f)),
      ),
    )

    const bad = join(mkdtempSync(join(tmpdir(), 'kanari-lint-')), 'rollout.yaml')
    writeFileSync(
      bad,
      readFileSync('examples/canary.yaml', 'utf8')
        .replace(/setWeight: 25/, 'setWeight: 125')
        .replace(/^spec:$/m, 'spec:\n  replicaz: 2'),
    )
    const problems = await run('lint', '-f', bad)
    expect(problems.code).toBe(1)
    const lines = problems.stdout.trim().split('\n')
    expect(lines).toContainEqual(
      expect.stringMatching(
        /rollout\.yaml:\d+ spec\.strategy\.canary\.steps\[\d+\]\.setWeight: must be <= 100$/,
      ),
    )
    expect(lines).toContainEqual(
      expect.stringMatching(
        /rollout\.yaml:\d+ spec\.replicaz: unknown field "replicaz" \(did you mean "replicas"\?\)/,
      ),
    )
    expect(lines.at(-1)).toBe('2 problems')
  })

  describe('with webhooks (none is called: each answers as --webhook says, else 200, rollback 403)', () => {
    it('promotes with every webhook answering yes, and reports what was asked', async () => {
      const r = await simulateFile('examples/webhooks.yaml')
      expect(r.outcome).toBe('Promoted')
      expect(r.webhooks.map((w) => [w.name, w.type, w.status])).toEqual([
        ['stop-button', 'rollback', 403],
        ['traffic', 'rollout', 200],
        ['release-approval', 'confirm-promotion', 200],
      ])
      expect(r.webhooks.find((w) => w.name === 'release-approval')?.calls).toBe(1)
      // rollout and rollback webhooks are asked every analysis interval (5 s) of the release
      const rollout = r.webhooks.find((w) => w.name === 'traffic')
      expect(rollout?.calls).toBeGreaterThan(r.decisionSeconds / 5 - 2)
    })

    it('a closed gate holds the release where it is', async () => {
      const r = await simulateFile('examples/webhooks.yaml', '--webhook', 'release-approval=403')
      expect(r.outcome).toBe('Paused')
      expect(r.reason).toMatch(
        /waiting for approval before promotion: confirm-promotion webhook "release-approval" answered HTTP 403 \(simulated; not called\)/,
      )
      expect(r.steps.at(-1)).toMatchObject({ action: 'Pause', canaryPercent: 50 })
    })

    it('a rollback webhook answering 200 rolls back; failing rollout checks do at the threshold', async () => {
      const stop = await simulateFile('examples/webhooks.yaml', '--webhook', 'stop-button=200')
      expect(stop.outcome).toBe('RolledBack')
      expect(stop.reason).toMatch(/rollback webhook "stop-button" asked for it/)
      const failing = await simulateFile('examples/webhooks.yaml', '--webhook', 'traffic=500')
      expect(failing.outcome).toBe('RolledBack')
      expect(failing.reason).toMatch(
        /failed checks reached the threshold \(3\/3\); last: rollout webhook "traffic" HTTP 500/,
      )
      // held at its first weight by the failures, never widened
      expect(failing.steps.filter((st) => st.canaryPercent > 10)).toEqual([])
    })

    it('a webhook it does not have, or a status that is not one, is a usage error (exit 2)', async () => {
      const unknown = await run('simulate', '-f', 'examples/webhooks.yaml', '--webhook', 'nope=200')
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toMatch(
        /--webhook nope=…: rollout checkout-gated has no webhook named "nope"\n {2}→ its webhooks: traffic, release-approval, stop-button/,
      )
      for (const bad of ['traffic', 'traffic=abc', 'traffic=99', 'traffic=600']) {
        const res = await run('simulate', '-f', 'examples/webhooks.yaml', '--webhook', bad)
        expect(res.code).toBe(2)
        expect(res.stderr).toMatch(
          /Expected NAME=STATUS: a webhook name and the HTTP status it answers/,
        )
      }
    })
  })
})
