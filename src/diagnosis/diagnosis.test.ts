/**
 * The evidence report's pure parts: masking and Drain clustering, the log diff's ranking (a
 * canary-only error first; a healthy canary's diff empty), redaction, the request breakdown, the
 * change between revisions, bounds, and checking an advisor's answer against a report.
 */
import { describe, expect, it } from 'vitest'
import { checkAdvice, reviewOfPromotion, type Advice } from './advice.js'
import { binomialUpperTail } from './binomial.js'
import { buildReport, reportBytes, type ReportInput } from './build-report.js'
import { Drain, maskToken, templateText, tokenize } from './drain.js'
import { diffLogs } from './log-diff.js'
import { toRecords } from './log-records.js'
import { REDACTED, Redactor } from './redact.js'
import { renderReport } from './render.js'
import { REPORT_LIMITS } from './report.js'
import { breakdownRequests } from './request-breakdown.js'
import { diffRevisions } from './revision-change.js'
import { stackSources } from './stack-paths.js'

/** A seeded generator, so the synthetic logs are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const T0 = Date.parse('2026-03-01T10:00:00Z')

function accessLine(i: number, status: number, color: string, random: () => number): string {
  const at = new Date(T0 + i * 37).toISOString()
  return `${at} GET /color ${status} ${Math.floor(random() * 20)}ms color=${color}`
}

function errorRecord(i: number): string[] {
  const at = new Date(T0 + i * 37).toISOString()
  return [
    `${at} ERROR GET /color failed: TypeError: Cannot read properties of undefined (reading 'hex')`,
    `    at paint (/srv/demo-app/palette.js:${40 + (i % 2)}:18)`,
    '    at Server.<anonymous> (/srv/demo-app/server.js:88:5)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  ]
}

/** Access lines of both sides, health probes, and (optionally) the canary's injected failures. */
function sides(options: { canaryFails: boolean; seed: number }) {
  const random = rng(options.seed)
  const stable: string[][] = []
  const canary: string[][] = []
  const stableBefore: string[][] = [
    [`${new Date(T0 - 60_000).toISOString()} demo-app v1 (blue) listening on 127.0.0.1:41234`],
  ]
  canary.push([`${new Date(T0).toISOString()} demo-app v2 (red) listening on 127.0.0.1:41999`])
  for (let i = 0; i < 2000; i++) {
    const toCanary = random() < 0.05
    const fails = toCanary && options.canaryFails && random() < 0.15
    const stableFails = !toCanary && random() < 0.002
    if (toCanary) {
      canary.push([accessLine(i, fails ? 500 : 200, 'red', random)])
      if (fails) canary.push(errorRecord(i))
    } else stable.push([accessLine(i, stableFails ? 500 : 200, 'blue', random)])
    if (i % 20 === 0) {
      stable.push([`${new Date(T0 + i * 37).toISOString()} GET /healthz 200 0ms color=blue`])
      canary.push([`${new Date(T0 + i * 37).toISOString()} GET /healthz 200 0ms color=red`])
    }
  }
  return {
    canary,
    stable,
    stableBefore,
    windowed: true,
    canaryReplicas: 3,
    stableReplicas: 3,
    changedValues: ['blue', 'red', 'v1', 'v2'],
  }
}

describe('masking and Drain', () => {
  it('masks times, ids, addresses, long numbers and stack positions, not status codes', () => {
    expect(maskToken('2026-03-01T10:00:00.123Z')).toBe('<TIME>')
    expect(maskToken('123e4567-e89b-12d3-a456-426614174000')).toBe('<UUID>')
    expect(maskToken('127.0.0.1:8080')).toBe('<IP>')
    expect(maskToken('12ms')).toBe('<NUM>ms')
    expect(maskToken('(/srv/app.js:42:7)')).toBe('(/srv/app.js:<N>:<N>)')
    expect(maskToken('pid=123456')).toBe('pid=<NUM>')
    expect(maskToken('500')).toBe('500')
    expect(maskToken('deadbeef12')).toBe('<HEX>')
  })

  it('clusters lines that differ in one field, and keeps 200s apart from 500s', () => {
    const d = new Drain()
    const a = d.add(tokenize(['2026-03-01T10:00:00Z GET /color 200 5ms color=blue']))
    const b = d.add(tokenize(['2026-03-01T10:00:01Z GET /color 200 7ms color=red']))
    const c = d.add(tokenize(['2026-03-01T10:00:01Z GET /color 500 7ms color=red']))
    expect(b).toBe(a)
    expect(c).not.toBe(a)
    expect(templateText(a.tokens)).toBe('<TIME> GET /color 200 <NUM>ms <*>')
  })

  it('never merges two kinds of event: statuses after a path, log levels, status= pairs', () => {
    const d = new Drain()
    const ok = d.add(tokenize(['GET /color 200 5ms color=<*>']))
    expect(d.add(tokenize(['GET /healthz 200 1ms color=<*>']))).toBe(ok)
    // Five of six tokens equal would merge; a different status after the path keeps them apart.
    expect(d.add(tokenize(['GET /color 500 5ms color=<*>']))).not.toBe(ok)
    const info = d.add(tokenize(['INFO cache refreshed in 3 steps']))
    expect(d.add(tokenize(['ERROR cache refreshed in 3 steps']))).not.toBe(info)
    const a = d.add(tokenize(['request done status=200 route=a']))
    expect(d.add(tokenize(['request done status=503 route=a']))).not.toBe(a)
    // A number that is no status (no path before it) still varies freely.
    const took = d.add(tokenize(['query took 200 ms']))
    expect(d.add(tokenize(['query took 350 ms']))).toBe(took)
    expect(templateText(took.tokens)).toBe('query took <*> ms')
    expect(templateText(ok.tokens)).toBe('GET <*> 200 <NUM>ms color=<*>')
  })

  it('keeps a stack trace as one record', () => {
    const records = toRecords(['first', ...errorRecord(1), 'next line'])
    expect(records.map((r) => r.length)).toEqual([1, 4, 1])
  })

  it('finds the source files of stack frames, not runtime internals', () => {
    expect(stackSources(errorRecord(1).join('\n'))).toEqual([
      { path: '/srv/demo-app/palette.js', line: 41 },
      { path: '/srv/demo-app/server.js', line: 88 },
    ])
  })
})

describe('log diff', () => {
  it("ranks the canary's new error template first, with counts, samples and files", () => {
    const diff = diffLogs(sides({ canaryFails: true, seed: 7 }), new Redactor())
    const first = diff.templates[0]
    expect(first?.newInCanary).toBe(true)
    expect(first?.template).toContain('TypeError: Cannot read properties of undefined')
    expect(first?.stable).toBe(0)
    expect(first?.canary).toBeGreaterThan(5)
    expect(first?.samples).toHaveLength(2)
    expect(first?.samples[0]).toContain('at paint (/srv/demo-app/palette.js:')
    expect(first?.files).toContain('/srv/demo-app/server.js:88')
    // The access line with status 500 is new too; neither probes nor 200s are listed.
    expect(diff.templates.every((t) => !t.template.includes('/healthz'))).toBe(true)
    expect(diff.templates.every((t) => !t.template.includes(' 200 '))).toBe(true)
  })

  it('is empty for a healthy canary, over many seeds', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const diff = diffLogs(sides({ canaryFails: false, seed }), new Redactor())
      expect(diff.templates, `seed ${seed}`).toEqual([])
      expect(diff.common).toBeGreaterThan(0)
    }
  })

  it('lists a template the canary logs far more often even when stable has it too', () => {
    const stable = Array.from({ length: 400 }, (_, i) => [
      i % 40 === 0 ? `WARN slow query took ${1000 + i}ms` : `GET /x 200 ${i}ms`,
    ])
    const canary = Array.from({ length: 200 }, (_, i) => [
      i % 2 === 0 ? `WARN slow query took ${1000 + i}ms` : `GET /x 200 ${i}ms`,
    ])
    const diff = diffLogs(
      { canary, stable, stableBefore: [], windowed: true, canaryReplicas: 1, stableReplicas: 1 },
      new Redactor(),
    )
    expect(diff.templates.map((t) => [t.template, t.newInCanary])).toEqual([
      ['WARN slow query took <NUM>ms', false],
    ])
    expect(diff.templates[0]?.ratio).toBeGreaterThan(5)
  })
})

describe('redaction', () => {
  it('hides secret values, tokens, keys and credentials, and counts them', () => {
    const r = new Redactor(['hunter2-very-secret'])
    const lines = [
      'connecting with password hunter2-very-secret',
      'Authorization: Bearer abcdefghijklmnop1234',
      'api_key=AbCdEf0123456789 user=bob',
      'url postgres://app:s3cr3tpw@db.local/app',
      'aws AKIAABCDEFGHIJKLMNOP',
      'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghij',
      'key sk-proj-0123456789abcdefghijklmnop',
    ].map((l) => r.text(l))
    expect(lines.join('\n')).not.toMatch(
      /hunter2|abcdefghijklmnop1234|AbCdEf0123456789|s3cr3tpw|AKIAABCD|eyJhbGci|sk-proj/,
    )
    expect(lines[2]).toBe(`api_key=${REDACTED} user=bob`)
    expect(lines[3]).toBe(`url postgres://app:${REDACTED}@db.local/app`)
    expect(r.count).toBe(7)
  })

  it('leaves ordinary log text, paths and request ids alone', () => {
    const r = new Redactor()
    const text =
      '2026-03-01T10:00:00Z GET /color 200 5ms id=123e4567-e89b-12d3-a456-426614174000 at /tmp/kanari-demo-x8Yk2P/logs/demo@3/0.log'
    expect(r.text(text)).toBe(text)
    expect(r.count).toBe(0)
  })
})

describe('request breakdown and change', () => {
  it('puts the failures the canary has more of first', () => {
    const b = breakdownRequests(
      [
        { method: 'GET', path: '/color', status: 200, count: 80 },
        { method: 'GET', path: '/color', status: 500, count: 20 },
      ],
      [
        { method: 'GET', path: '/color', status: 200, count: 1990 },
        { method: 'GET', path: '/color', status: 500, count: 10 },
        { method: 'GET', path: '/', status: 404, count: 3 },
      ],
      new Redactor(),
    )
    expect(
      b.rows.map((r) => `${r.id} ${r.method} ${r.path} ${r.status} ${r.canary}/${r.stable}`),
    ).toEqual(['R1 GET /color 500 20/10', 'R2 GET /color 200 80/1990', 'R3 GET / 404 0/3'])
    expect(b.rows[0]?.canaryShare).toBe(0.2)
  })

  it('shows env, command and args changes with secret values hidden', () => {
    const r = new Redactor()
    const c = diffRevisions(
      {
        revision: 1,
        workload: { command: ['node', 'a.js'], env: { COLOR: 'blue', DB_PASSWORD: 'x1' } },
      },
      {
        revision: 2,
        workload: {
          command: ['node', 'b.js', '--fast'],
          env: { COLOR: 'red', DB_PASSWORD: 'x2', NEW: '1' },
        },
      },
      [],
      r,
    )
    expect(c.items.map((i) => [i.id, i.field, i.name, i.from, i.to])).toEqual([
      ['C1', 'args', null, 'a.js', 'b.js --fast'],
      ['C2', 'env', 'COLOR', 'blue', 'red'],
      ['C3', 'env', 'DB_PASSWORD', REDACTED, REDACTED],
      ['C4', 'env', 'NEW', null, '1'],
    ])
    expect(r.count).toBe(2)
  })
})

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    rollout: 'demo',
    revision: 3,
    stableRevision: 2,
    trigger: 'rollback',
    now: T0 + 80_000,
    window: { from: T0, to: T0 + 75_000 },
    outcome: {
      result: 'RolledBack',
      cause: 'AnalysisFailed',
      reason: 'analysis failed at 5%: error rate too high',
      at: T0 + 75_000,
      canaryWeight: 5,
      stepIndex: 1,
    },
    runs: [],
    verdictEvents: [],
    requests: { canary: [{ method: 'GET', path: '/color', status: 500, count: 3 }], stable: [] },
    logs: sides({ canaryFails: true, seed: 3 }),
    workloads: {
      from: {
        revision: 2,
        workload: {
          command: ['node', 's.js'],
          env: { COLOR: 'green', API_TOKEN: 'tok-abcdef-123456' },
        },
      },
      to: {
        revision: 3,
        workload: {
          command: ['node', 's.js'],
          env: { COLOR: 'red', ERROR_RATE: '15', API_TOKEN: 'tok-abcdef-123456' },
        },
      },
    },
    secretEnv: [],
    ...overrides,
  }
}

describe('report', () => {
  it('hides a secret env value wherever the logs repeat it', () => {
    const logs = sides({ canaryFails: true, seed: 3 })
    logs.canary.push(['FATAL using token tok-abcdef-123456 failed'])
    const report = buildReport(input({ logs }))
    const text = JSON.stringify(report)
    expect(text).not.toContain('tok-abcdef-123456')
    expect(report.redactions).toBeGreaterThan(0)
    expect(renderReport(report)).toContain('L1  canary')
  })

  it('stays within its byte bound however large the input', () => {
    const huge = 'x'.repeat(5000)
    const logs = {
      canary: Array.from({ length: 3000 }, (_, i) => [
        `E${i} ${huge.slice(i % 50)} ${'w' + String(i)}`,
      ]),
      stable: [],
      stableBefore: [],
      windowed: false,
    }
    const env = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`V${i}`, huge]))
    const report = buildReport(
      input({ logs, workloads: { from: null, to: { revision: 3, workload: { env } } } }),
    )
    expect(reportBytes(report)).toBeLessThanOrEqual(REPORT_LIMITS.jsonBytes)
    expect(report.truncated.length).toBeGreaterThan(0)
    expect(report.logs.templates.length).toBeGreaterThan(0)
  })
})

describe('advice', () => {
  const report = buildReport(input())
  const answer = (o: Record<string, unknown>): string =>
    JSON.stringify({
      verdict: 'rollback',
      confidence: 0.9,
      explanation: 'errors',
      suspected_cause: 'ERROR_RATE',
      suggested_fix: 'unset it',
      evidence: ['L1', 'C2'],
      ...o,
    })

  it('accepts a valid answer, drops citations of things not in the report, clamps confidence', () => {
    const res = checkAdvice(answer({ evidence: ['L1', 'L99', 'X7', 'l1'], confidence: 2 }), report)
    expect(res.ok).toBe(true)
    const advice = (res as { advice: Advice }).advice
    expect(advice.evidence).toEqual(['L1'])
    expect(advice.droppedCitations).toBe(2)
    expect(advice.confidence).toBe(1)
  })

  it('refuses truncated JSON, a missing field, a wrong verdict or type', () => {
    expect(checkAdvice(answer({}).slice(0, 40), report).ok).toBe(false)
    const noEvidence = JSON.parse(answer({})) as Record<string, unknown>
    delete noEvidence.evidence
    expect(checkAdvice(JSON.stringify(noEvidence), report)).toMatchObject({
      ok: false,
      reason: 'the answer lacks evidence',
    })
    expect(checkAdvice(answer({ verdict: 'ship it' }), report).ok).toBe(false)
    expect(checkAdvice(answer({ confidence: 'high' }), report).ok).toBe(false)
    expect(checkAdvice('[1]', report).ok).toBe(false)
  })

  it('can agree with a promotion or disagree, never more', () => {
    const advice = (verdict: Advice['verdict']): Advice => ({
      verdict,
      confidence: 1,
      explanation: '',
      suspectedCause: '',
      suggestedFix: '',
      evidence: [],
      droppedCitations: 0,
      corrections: [],
    })
    expect(reviewOfPromotion(advice('promote'))).toBe('agree')
    expect(reviewOfPromotion(advice('rollback'))).toBe('disagree')
    expect(reviewOfPromotion(advice('inconclusive'))).toBe('disagree')
    expect(reviewOfPromotion(null)).toBe('unavailable')
  })

  it('computes binomial tails', () => {
    expect(binomialUpperTail(3, 3, 0.5)).toBeCloseTo(0.125, 10)
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1)
    expect(binomialUpperTail(5, 10, 0.5)).toBeCloseTo(0.623046875, 9)
    expect(binomialUpperTail(60_000, 100_000, 0.5)).toBeLessThan(1e-10)
  })
})
