/**
 * `kanari import` through the real CLI: what it prints (the manifests on stdout, the lists on
 * stderr, or one JSON object), that the YAML it prints passes `kanari lint`, stdin, exit codes, and
 * the refusals. What each field becomes is src/import/import-manifests.test.ts's.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ImportResult } from '../../src/import/index.js'
import { runKanari, type CliRun } from '../helpers/cli.js'
import { KANARI_BIN } from '../helpers/processes.js'

const FIXTURES = 'test/fixtures/import'
const tmp = mkdtempSync(join(tmpdir(), 'kanari-import-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const runs = new Map<string, Promise<CliRun>>()

/** `kanari import ARGS -o json`, run once per set of arguments (the CLI's answer does not change). */
async function imported(...args: string[]): Promise<ImportResult> {
  const key = args.join(' ')
  let run = runs.get(key)
  if (run === undefined) {
    run = runKanari(['import', ...args, '-o', 'json'])
    runs.set(key, run)
  }
  const res = await run
  expect(res.code, res.stderr).toBe(0)
  return JSON.parse(res.stdout) as ImportResult
}

/** The YAML `kanari import` prints, saved and run through `kanari lint`. */
async function lintOfYaml(dir: string, name: string): Promise<{ imported: CliRun; lint: CliRun }> {
  const res = await runKanari(['import', '-f', dir])
  const file = join(tmp, `${name}.yaml`)
  writeFileSync(file, res.stdout)
  return { imported: res, lint: await runKanari(['lint', '-f', file]) }
}

describe('kanari import of Argo Rollouts', () => {
  it('converts canary (Istio, NGINX, Gateway API), blue-green and analysis templates; the result passes lint', async () => {
    const { imported: res, lint } = await lintOfYaml(`${FIXTURES}/argo`, 'argo')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^apiVersion: kanari.dev\/v1alpha1\nkind: AnalysisTemplate\n/)
    expect(res.stderr).toMatch(
      /^converted 7 manifests from 5 files; 28 fields could not be carried over\n28 fields not carried over:\n/,
    )
    expect(lint.stderr).toBe('')
    expect(lint.code).toBe(0)
    expect(
      lint.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/ \(.*\)$/, '')),
    ).toEqual([
      'OK analysistemplate/success-rate',
      'OK analysistemplate/web-check',
      'OK analysistemplate/error-rate',
      'OK rollout/payments',
      'OK rollout/catalog',
      'OK rollout/guestbook',
      'OK rollout/checkout',
    ])
  })
})

describe('kanari import of Flagger', () => {
  it('converts a canary, A/B testing and blue-green with webhooks, alerts and MetricTemplates; the result passes lint', async () => {
    const { imported: res, lint } = await lintOfYaml(`${FIXTURES}/flagger`, 'flagger')
    expect(res.code).toBe(0)
    expect(lint.code, lint.stdout + lint.stderr).toBe(0)
    expect(lint.stdout).toMatch(
      /^OK rollout\/storefront .*\nOK rollout\/inventory .*\nOK rollout\/podinfo /,
    )
    // The AlertProvider's webhook URL is a secret: it is nowhere in what import prints.
    expect(res.stdout + res.stderr).not.toContain('hooks.slack.com')
  })
})

describe('kanari import of a file that holds other objects too', () => {
  const REAL = `${FIXTURES}/real/argo/rollout-canary-notifications.yaml`

  it('prints the Rollout, lists the Service and Ingress it left alone, and the result passes lint', async () => {
    const { imported: res, lint } = await lintOfYaml(REAL, 'real')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(
      /^apiVersion: kanari.dev\/v1alpha1\nkind: Rollout\nmetadata:\n {2}name: rollout-canary\n/,
    )
    expect(res.stdout).not.toMatch(/kind: (Service|Ingress)/)
    expect(res.stderr.split('\n').slice(0, 4)).toEqual([
      'converted 1 manifest from 1 file; 2 other objects left alone; 3 fields could not be carried over',
      '2 objects left alone (not converted):',
      `  ${REAL}:4 Service/rollouts-canary: Kanari creates the services it routes between; apply your own Services as they are, if you still need them`,
      `  ${REAL}:18 Ingress/rollouts-demo-stable: a routing object: Kanari's router updates the one you have; apply it as it is`,
    ])
    expect(lint.code, lint.stdout + lint.stderr).toBe(0)
    expect(lint.stdout).toMatch(/^OK rollout\/rollout-canary /)
  })

  it('lists them in -o json; --strict refuses the file, naming each, and converts nothing', async () => {
    const r = await imported('-f', REAL)
    expect(r.leftAlone).toEqual([
      {
        file: REAL,
        line: 4,
        apiVersion: 'v1',
        kind: 'Service',
        name: 'rollouts-canary',
        reason:
          'Kanari creates the services it routes between; apply your own Services as they are, if you still need them',
      },
      {
        file: REAL,
        line: 18,
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'rollouts-demo-stable',
        reason: "a routing object: Kanari's router updates the one you have; apply it as it is",
      },
    ])
    const strict = await runKanari(['import', '--strict', '-f', REAL])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toBe('')
    expect(strict.stderr).toBe(
      [
        'error: cannot import: --strict, and 2 objects of the input would be left alone:',
        `  ${REAL}:4 Service/rollouts-canary (v1) is not converted: Kanari creates the services it routes between; apply your own Services as they are, if you still need them`,
        `  ${REAL}:18 Ingress/rollouts-demo-stable (networking.k8s.io/v1) is not converted: a routing object: Kanari's router updates the one you have; apply it as it is`,
        '  → pass only Rollout, AnalysisTemplate, ClusterAnalysisTemplate (argoproj.io/v1alpha1) and Canary, MetricTemplate, AlertProvider (flagger.app/v1beta1) manifests with -f, or leave out --strict to convert those and list the rest; nothing was converted',
        '',
      ].join('\n'),
    )
  })
})

describe('kanari import: what cannot be converted, and bad input', () => {
  it('says what it could not take and what lint still needs; --strict makes that exit 1', async () => {
    const r = await imported('-f', `${FIXTURES}/edge/needs-work.yaml`)
    expect(r.lint.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'spec.strategy.canary.steps[1].analysis.templates[0]: template "secret-check" needs arg "api-token": add args: [{ name: "api-token", value: … }]',
    ])
    const plain = await runKanari(['import', '-f', `${FIXTURES}/edge/needs-work.yaml`])
    expect(plain.code).toBe(0)
    expect(plain.stderr).toContain(
      'kanari lint finds 1 problem in the result; fix them before applying:',
    )
    // The problem's line is the line of the YAML printed.
    const line = r.lint[0]?.line ?? 0
    expect(plain.stdout.split('\n')[line - 1]).toBe('              - templateName: secret-check')
    const strict = await runKanari(['import', '--strict', '-f', `${FIXTURES}/edge/needs-work.yaml`])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toBe(plain.stdout)
  })

  it('reads -f - from stdin, as lint and apply do', async () => {
    const text = readFileSync(`${FIXTURES}/argo/canary-nginx.yaml`, 'utf8')
    const res = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [KANARI_BIN, 'import', '-f', '-', '-o', 'json'])
      let stdout = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.on('close', (code) => resolve({ code, stdout }))
      child.stdin.end(text)
    })
    expect(res.code).toBe(0)
    const r = JSON.parse(res.stdout) as ImportResult
    expect(r.documents.map((d) => (d.metadata as { name: string }).name)).toEqual(['checkout'])
    expect(r.notCarried[0]).toMatchObject({
      file: '<stdin>',
      line: 13,
      path: 'spec.workloadRef.scaleDown',
    })
  })

  it('refuses YAML it cannot parse, with the file and line, and converts nothing', async () => {
    const file = join(tmp, 'broken.yaml')
    writeFileSync(
      file,
      'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: { name: x\nspec: {}\n',
    )
    const res = await runKanari(['import', '-f', file])
    expect(res.code).toBe(1)
    expect(res.stdout).toBe('')
    expect(res.stderr).toMatch(
      new RegExp(
        `^error: cannot import: \\d+ problems? in the input:\\n  ${file}:\\d+ YAML syntax: `,
      ),
    )
    expect(res.stderr).toContain('nothing was converted')
  })

  it('refuses a version of a kind it converts and documents that are not objects, as a JSON error', async () => {
    const file = join(tmp, 'mixed.yaml')
    writeFileSync(
      file,
      [
        'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }',
        'apiVersion: flagger.app/v1alpha3\nkind: Canary\nmetadata: { name: web }\nspec: {}',
        '- just\n- a list',
      ].join('\n---\n'),
    )
    const res = await runKanari(['import', '-f', file, '-o', 'json'])
    expect(res.code).toBe(1)
    const body = JSON.parse(res.stdout) as {
      error: { code: string; details: { line: number; message: string }[] }
    }
    expect(body.error.code).toBe('KANARI_INVALID_INPUT')
    expect(body.error.details.map((d) => `${d.line} ${d.message}`)).toEqual([
      '6 Canary of "flagger.app/v1alpha3" is a version kanari import does not read; it reads flagger.app/v1beta1',
      '11 is not a Kubernetes object (a mapping with apiVersion and kind)',
    ])
  })

  it('says what to do when a file is missing or -f is not given', async () => {
    const missing = await runKanari(['import', '-f', join(tmp, 'nope.yaml')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no such file or directory')
    const usage = await runKanari(['import'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain("required option '-f, --filename <file...>' not specified")
    const format = await runKanari(['import', '-f', `${FIXTURES}/argo`, '-o', 'table'])
    expect(format.code).toBe(2)
    expect(format.stderr).toMatch(
      /option '-o, --output <format>' argument 'table' is invalid\. Allowed choices are yaml, json/,
    )
  })
})
