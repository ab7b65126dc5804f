/**
 * `kanari import` through the real CLI: Argo Rollouts and Flagger manifests written in their
 * documented formats (test/fixtures/import/) converted into Kanari's. The result passes `kanari
 * lint`; the fields that could not be carried over are exactly those listed, with file and line;
 * input that is not YAML, or not a kind import converts, is refused with a clear error.
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

/** `file:line Kind/name path` of each field not carried over. */
function listed(r: ImportResult): string[] {
  return r.notCarried.map(
    (n) => `${n.file.replace(`${FIXTURES}/`, '')}:${n.line} ${n.object} ${n.path}`,
  )
}

/** The YAML `kanari import` prints, saved and run through `kanari lint`. */
async function lintOfYaml(dir: string, name: string): Promise<{ imported: CliRun; lint: CliRun }> {
  const res = await runKanari(['import', '-f', dir])
  const file = join(tmp, `${name}.yaml`)
  writeFileSync(file, res.stdout)
  return { imported: res, lint: await runKanari(['lint', '-f', file]) }
}

function doc(r: ImportResult, kind: string, name: string): Record<string, unknown> {
  const d = r.documents.find(
    (x) => x.kind === kind && (x.metadata as { name: string }).name === name,
  )
  if (d === undefined) throw new Error(`no ${kind}/${name} in the result`)
  return d
}

describe('kanari import of Argo Rollouts', () => {
  it('converts canary (Istio, NGINX, Gateway API), blue-green and analysis templates; the result passes lint', async () => {
    const { imported: res, lint } = await lintOfYaml(`${FIXTURES}/argo`, 'argo')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^apiVersion: kanari.dev\/v1alpha1\nkind: AnalysisTemplate\n/)
    expect(res.stderr).toMatch(
      /^converted 7 manifests from 5 files; 27 fields could not be carried over\n27 fields not carried over:\n/,
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

  it('lists exactly the fields it could not carry over, with file, line, path and why', async () => {
    const r = await imported('-f', `${FIXTURES}/argo`)
    expect(r.lint).toEqual([])
    expect(listed(r)).toEqual([
      'argo/analysis-templates.yaml:73 ClusterAnalysisTemplate/error-rate spec.metrics[0].provider.prometheus.authentication',
      'argo/analysis-templates.yaml:76 ClusterAnalysisTemplate/error-rate spec.metrics[1]',
      'argo/blue-green.yaml:10 Rollout/payments spec.revisionHistoryLimit',
      'argo/blue-green.yaml:11 Rollout/payments spec.selector',
      'argo/blue-green.yaml:14 Rollout/payments spec.template',
      'argo/blue-green.yaml:26 Rollout/payments spec.strategy.blueGreen.activeService',
      'argo/blue-green.yaml:27 Rollout/payments spec.strategy.blueGreen.previewService',
      'argo/blue-green.yaml:31 Rollout/payments spec.strategy.blueGreen.antiAffinity',
      'argo/canary-gateway-api.yaml:15 Rollout/catalog spec.strategy.canary.canaryService',
      'argo/canary-gateway-api.yaml:16 Rollout/catalog spec.strategy.canary.stableService',
      'argo/canary-gateway-api.yaml:18 Rollout/catalog spec.strategy.canary.trafficRouting.managedRoutes',
      'argo/canary-istio.yaml:12 Rollout/guestbook spec.revisionHistoryLimit',
      'argo/canary-istio.yaml:13 Rollout/guestbook spec.selector',
      'argo/canary-istio.yaml:16 Rollout/guestbook spec.template',
      'argo/canary-istio.yaml:31 Rollout/guestbook spec.strategy.canary.canaryService',
      'argo/canary-istio.yaml:32 Rollout/guestbook spec.strategy.canary.stableService',
      'argo/canary-istio.yaml:33 Rollout/guestbook spec.strategy.canary.maxSurge',
      'argo/canary-istio.yaml:34 Rollout/guestbook spec.strategy.canary.maxUnavailable',
      'argo/canary-istio.yaml:37 Rollout/guestbook spec.strategy.canary.trafficRouting.managedRoutes',
      'argo/canary-istio.yaml:45 Rollout/guestbook spec.strategy.canary.trafficRouting.istio.destinationRule',
      'argo/canary-istio.yaml:72 Rollout/guestbook spec.strategy.canary.steps[2].setMirrorRoute.match[1]',
      'argo/canary-istio.yaml:87 Rollout/guestbook spec.strategy.canary.steps[7]',
      'argo/canary-nginx.yaml:13 Rollout/checkout spec.workloadRef.scaleDown',
      'argo/canary-nginx.yaml:16 Rollout/checkout spec.strategy.canary.canaryService',
      'argo/canary-nginx.yaml:17 Rollout/checkout spec.strategy.canary.stableService',
      'argo/canary-nginx.yaml:22 Rollout/checkout spec.strategy.canary.trafficRouting.nginx.annotationPrefix',
      'argo/canary-nginx.yaml:23 Rollout/checkout spec.strategy.canary.trafficRouting.nginx.additionalIngressAnnotations',
    ])
    const reason = (path: string) => r.notCarried.find((n) => n.path === path)?.reason
    expect(reason('spec.strategy.canary.steps[7]')).toMatch(/Kanari runs no experiments/)
    expect(reason('spec.metrics[1]')).toMatch(
      /^the job provider: Kanari measures with prometheus, web, command/,
    )
    expect(reason('spec.template')).toMatch(
      /references a Deployment instead of embedding a pod template/,
    )
  })

  it('carries steps, routes, analysis and routers over field by field', async () => {
    const r = await imported('-f', `${FIXTURES}/argo`)
    const guestbook = doc(r, 'Rollout', 'guestbook')
    expect(guestbook).toEqual({
      apiVersion: 'kanari.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'guestbook', namespace: 'shop', labels: { app: 'guestbook' } },
      spec: {
        replicas: 5,
        workload: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'guestbook' } },
        service: { port: 8080 },
        trafficRouting: {
          istio: { virtualService: { name: 'guestbook-vsvc', routes: ['primary'] } },
        },
        analysis: {
          judge: 'limit',
          templates: [{ templateName: 'success-rate' }],
          args: [{ name: 'service-name', value: 'guestbook-svc.shop.svc.cluster.local' }],
          startingStep: 2,
        },
        strategy: {
          canary: {
            steps: [
              { setCanaryScale: { weight: 20 } },
              {
                setHeaderRoute: {
                  name: 'header-route',
                  match: [{ headerName: 'x-canary', headerValue: { exact: 'insider' } }],
                },
              },
              {
                setMirrorRoute: {
                  name: 'mirror-route',
                  percentage: 35,
                  match: [{ headerName: 'x-mirror', headerValue: { exact: 'true' } }],
                },
              },
              { setWeight: 20 },
              { pause: { duration: '1h' } },
              {
                analysis: {
                  templates: [{ templateName: 'web-check' }, { templateName: 'error-rate' }],
                  args: [{ name: 'service-name', value: 'guestbook-svc.shop.svc.cluster.local' }],
                },
              },
              { setWeight: 40 },
              { pause: {} },
              { setWeight: 80 },
              { pause: { duration: 30 } },
            ],
            scaleDownDelaySeconds: 60,
          },
        },
        progressDeadlineSeconds: 600,
        progressDeadlineAbort: false,
      },
    })
    expect(doc(r, 'Rollout', 'checkout').spec).toMatchObject({
      trafficRouting: { nginx: { ingress: 'checkout-ingress' } },
      progressDeadlineAbort: true,
      strategy: { canary: { abortScaleDownDelaySeconds: 10 } },
    })
    expect(doc(r, 'Rollout', 'catalog').spec).toMatchObject({
      trafficRouting: { gatewayAPI: { httpRoute: 'catalog-route', namespace: 'shop' } },
    })
    expect(doc(r, 'Rollout', 'payments').spec).toMatchObject({
      strategy: {
        blueGreen: {
          autoPromotionEnabled: false,
          previewReplicaCount: 1,
          scaleDownDelaySeconds: 120,
          prePromotionAnalysis: { templates: [{ templateName: 'success-rate' }] },
          postPromotionAnalysis: { templates: [{ templateName: 'success-rate' }] },
        },
      },
    })
    expect(doc(r, 'AnalysisTemplate', 'web-check').spec).toEqual({
      args: [{ name: 'service-name' }, { name: 'tenant', value: 'shop' }],
      metrics: [
        {
          name: 'webmetric',
          interval: '30s',
          count: 3,
          successCondition: '(result) >= 0.90',
          consecutiveErrorLimit: 2,
          provider: {
            web: {
              url: 'http://quality.shop.svc:8080/api/v1/measurement?service={{ args.service-name }}',
              headers: { 'X-Tenant': '{{ args.tenant }}' },
              jsonPath: '$.data.successPercent',
              timeout: 20,
            },
          },
        },
      ],
    })
    const errorRate = doc(r, 'AnalysisTemplate', 'error-rate').spec as {
      metrics: Record<string, unknown>[]
    }
    expect(errorRate.metrics).toHaveLength(1)
    expect(errorRate.metrics[0]).toMatchObject({
      failureCondition: 'result[0] > 0.05 || isNaN(result[0])',
      count: 5,
      failureLimit: 1,
      provider: { prometheus: { address: 'http://prometheus.monitoring.svc.cluster.local:9090' } },
    })
    expect(r.notes.map((n) => n.message)).toContain(
      "condition written as Kanari's: (result) >= 0.90",
    )
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

  it('lists exactly the fields it could not carry over', async () => {
    const r = await imported('-f', `${FIXTURES}/flagger`)
    expect(r.lint).toEqual([])
    expect(listed(r)).toEqual([
      'flagger/ab-testing.yaml:20 Canary/storefront spec.service.targetPort',
      'flagger/ab-testing.yaml:36 Canary/storefront spec.analysis.metrics[0].interval',
      'flagger/blue-green.yaml:17 Canary/inventory spec.service.portDiscovery',
      'flagger/blue-green.yaml:25 Canary/inventory spec.analysis.metrics[0].interval',
      'flagger/podinfo-canary.yaml:15 Canary/podinfo spec.autoscalerRef',
      'flagger/podinfo-canary.yaml:21 Canary/podinfo spec.service.targetPort',
      'flagger/podinfo-canary.yaml:22 Canary/podinfo spec.service.gateways',
      'flagger/podinfo-canary.yaml:24 Canary/podinfo spec.service.hosts',
      'flagger/podinfo-canary.yaml:26 Canary/podinfo spec.service.retries',
      'flagger/podinfo-canary.yaml:39 Canary/podinfo spec.analysis.metrics[0].interval',
      'flagger/podinfo-canary.yaml:43 Canary/podinfo spec.analysis.metrics[1].interval',
      'flagger/podinfo-canary.yaml:78 Canary/podinfo spec.analysis.webhooks[3].muteAlert',
      'flagger/podinfo-canary.yaml:134 MetricTemplate/db-latency spec.provider.secretRef',
      'flagger/podinfo-canary.yaml:147 AlertProvider/on-call spec.channel',
      'flagger/podinfo-canary.yaml:148 AlertProvider/on-call spec.username',
      'flagger/podinfo-canary.yaml:149 AlertProvider/on-call spec.address',
      'flagger/podinfo-canary.yaml:158 AlertProvider/dev-discord spec.secretRef',
    ])
    expect(JSON.stringify(r)).not.toContain('hooks.slack.com')
  })

  it('carries the analysis, metrics, webhooks and alerts over field by field', async () => {
    const r = await imported('-f', `${FIXTURES}/flagger`)
    const podinfo = doc(r, 'Rollout', 'podinfo').spec as Record<string, unknown>
    expect(podinfo.strategy).toEqual({ canary: { interval: '1m', stepWeight: 10, maxWeight: 50 } })
    expect(podinfo.trafficRouting).toEqual({ istio: { virtualService: { name: 'podinfo' } } })
    const analysis = podinfo.analysis as {
      metrics: { name: string; provider?: { prometheus: { query: string; address: string } } }[]
    }
    expect(analysis).toMatchObject({ judge: 'threshold', interval: '1m', threshold: 5 })
    expect(analysis.metrics.map((m) => m.name)).toEqual([
      'success-rate',
      'latency-p99',
      '404s percentage',
      'db-latency',
    ])
    expect(analysis.metrics[0]).toEqual({ name: 'success-rate', thresholdRange: { min: 99 } })
    expect(analysis.metrics[1]).toEqual({ name: 'latency-p99', thresholdRange: { max: 500 } })
    // Flagger's template variables filled in for this Canary: namespace, target, interval, variables.*
    const notFound = analysis.metrics[2]?.provider?.prometheus
    expect(notFound?.address).toBe('http://prometheus.istio-system:9090')
    expect(notFound?.query).toContain('destination_workload_namespace="test"')
    expect(notFound?.query).toContain('destination_workload="podinfo"')
    expect(notFound?.query).toContain('}[1m]')
    expect(notFound?.query).not.toContain('{{')
    expect(analysis.metrics[3]?.provider?.prometheus.query).toBe(
      'histogram_quantile(0.99,\n  sum(rate(db_query_duration_ms_bucket{namespace="test",database="orders"}[2m])) by (le))',
    )
    expect(podinfo.webhooks).toEqual([
      { name: 'gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' },
      {
        name: 'acceptance-test',
        type: 'pre-rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '30s',
        metadata: {
          type: 'bash',
          cmd: "curl -sd 'test' http://podinfo-canary:9898/token | grep token",
        },
      },
      {
        name: 'load-test',
        type: 'rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '5s',
        metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/' },
      },
      {
        name: 'promotion-gate',
        type: 'confirm-promotion',
        url: 'http://flagger-loadtester.test/gate/approve',
      },
      {
        name: 'rollback',
        type: 'rollback',
        url: 'http://flagger-loadtester.test/rollback/check',
        retries: 2,
      },
    ])
    expect(podinfo.notifications).toEqual([
      {
        name: 'on-call-slack',
        provider: 'slack',
        urlFrom: { env: 'KANARI_ALERT_ON_CALL' },
        severity: 'error',
      },
      {
        name: 'dev',
        provider: 'discord',
        urlFrom: { env: 'KANARI_ALERT_DEV_DISCORD' },
        severity: 'info',
      },
    ])
    expect(r.notes.map((n) => n.message)).toContain(
      "set KANARI_ALERT_ON_CALL in the daemon's environment to the webhook URL of AlertProvider on-call: Kanari never keeps a webhook URL in a spec",
    )
    expect(doc(r, 'Rollout', 'storefront').spec).toMatchObject({
      trafficRouting: { nginx: { ingress: 'storefront' } },
      strategy: {
        canary: {
          interval: '1m',
          iterations: 10,
          match: [
            { headerName: 'x-canary', headerValue: { exact: 'insider' } },
            { headerName: 'cookie', headerValue: { regex: '^(.*?;)?(canary=always)(;.*)?$' } },
          ],
        },
      },
      analysis: { judge: 'threshold', threshold: 10 },
    })
    expect(doc(r, 'Rollout', 'inventory').spec).toMatchObject({
      trafficRouting: { none: {} },
      // five iterations of 30 s before the switch
      strategy: { blueGreen: { prePromotionAnalysis: { duration: '150s' } } },
      analysis: {
        judge: 'threshold',
        interval: '30s',
        threshold: 2,
        metrics: [{ name: 'success-rate', thresholdRange: { min: 99 } }],
      },
      webhooks: [
        { name: 'smoke', type: 'pre-rollout' },
        { name: 'notify', type: 'event', url: 'http://events.test/flagger' },
      ],
      progressDeadlineSeconds: 120,
    })
  })
})

describe('kanari import: what cannot be converted, and bad input', () => {
  it('says what it could not take and what lint still needs; --strict makes that exit 1', async () => {
    const r = await imported('-f', `${FIXTURES}/edge/needs-work.yaml`)
    expect(listed(r)).toEqual([
      'edge/needs-work.yaml:17 Rollout/Legacy.API spec.strategy.canary.trafficRouting.alb',
      'edge/needs-work.yaml:25 Rollout/Legacy.API spec.strategy.canary.steps[2]',
      'edge/needs-work.yaml:36 AnalysisTemplate/secret-check spec.args[0].valueFrom',
      'edge/needs-work.yaml:44 AnalysisTemplate/secret-check spec.metrics[0].count',
      'edge/needs-work.yaml:45 AnalysisTemplate/secret-check spec.metrics[0].failureLimit',
      'edge/needs-work.yaml:46 AnalysisTemplate/secret-check spec.metrics[0].successCondition',
      'edge/needs-work.yaml:54 AnalysisTemplate/secret-check spec.metrics[1]',
    ])
    expect(r.notCarried.find((n) => n.path === 'spec.metrics[1]')?.reason).toBe(
      "the web provider sends PUT: Kanari's sends GET or POST; rewrite this metric",
    )
    expect(r.notes.map((n) => n.message)).toContain(
      'named legacy-api: Kanari names are lower-case letters, digits and dashes, at most 63 (was "Legacy.API")',
    )
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

  it('refuses kinds it does not convert, naming what it does convert', async () => {
    const file = join(tmp, 'mixed.yaml')
    writeFileSync(
      file,
      [
        'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }',
        'apiVersion: kanari.dev/v1alpha1\nkind: Rollout\nmetadata: { name: web }\nspec: {}',
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
      '1 kind "Service" (apiVersion "v1") is not one kanari import converts; it converts Rollout, AnalysisTemplate, ClusterAnalysisTemplate (argoproj.io/v1alpha1) and Canary, MetricTemplate, AlertProvider (flagger.app/v1beta1)',
      '6 Rollout is already a Kanari manifest: check it with `kanari lint`',
      '11 Canary of "flagger.app/v1alpha3" is a version kanari import does not read; it reads flagger.app/v1beta1',
      '16 is not a Kubernetes object (a mapping with apiVersion and kind)',
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
