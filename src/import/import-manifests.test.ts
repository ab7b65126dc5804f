/**
 * `importManifests` on manifests in Argo Rollouts' and Flagger's formats: what each field becomes,
 * exactly what is not carried over (file, line, path), which objects are left alone, and the
 * refusals. Fixtures in test/fixtures/import/ (real/ holds the projects' own files); the CLI's
 * output and exit codes are test/import/import.test.ts's.
 */
import { describe, expect, it } from 'vitest'
import { readManifestFiles } from '../cli/manifest-files.js'
import { InputError } from '../errors.js'
import { importManifests, type ImportResult } from './index.js'

const FIXTURES = 'test/fixtures/import'

function imported(...paths: string[]): ImportResult {
  return importManifests(readManifestFiles(paths))
}

function inline(text: string, options: { strict?: boolean } = {}): ImportResult {
  return importManifests([{ name: 'in.yaml', text }], options)
}

/** `file:line Kind/name path` of each field not carried over. */
function listed(r: ImportResult): string[] {
  return r.notCarried.map(
    (n) => `${n.file.replace(`${FIXTURES}/`, '')}:${n.line} ${n.object} ${n.path}`,
  )
}

function doc(r: ImportResult, kind: string, name: string): Record<string, unknown> {
  const d = r.documents.find(
    (x) => x.kind === kind && (x.metadata as { name: string }).name === name,
  )
  if (d === undefined) throw new Error(`no ${kind}/${name} in the result`)
  return d
}

function reasonOf(r: ImportResult, path: string): string | undefined {
  return r.notCarried.find((n) => n.path === path)?.reason
}

/** The error `run` throws, which must be an InputError. */
function refusal(run: () => unknown): InputError {
  try {
    run()
  } catch (err) {
    if (err instanceof InputError) return err
    throw err
  }
  throw new Error('expected an InputError, nothing was thrown')
}

describe('importManifests: Argo Rollouts', () => {
  it('lists exactly the fields it could not carry over, with file, line, path and why', () => {
    const r = imported(`${FIXTURES}/argo`)
    expect(r.lint).toEqual([])
    expect(r.leftAlone).toEqual([])
    expect(listed(r)).toEqual([
      'argo/analysis-templates.yaml:73 ClusterAnalysisTemplate/error-rate spec.metrics[0].provider.prometheus.authentication',
      'argo/analysis-templates.yaml:80 ClusterAnalysisTemplate/error-rate spec.metrics[1].provider.job.spec.backoffLimit',
      'argo/analysis-templates.yaml:84 ClusterAnalysisTemplate/error-rate spec.metrics[1].provider.job.spec.template.spec.containers[0].name',
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
    expect(reasonOf(r, 'spec.strategy.canary.steps[7]')).toMatch(/Kanari runs no experiments/)
    expect(reasonOf(r, 'spec.metrics[1].provider.job.spec.backoffLimit')).toMatch(
      /runs each measurement's Job once, with no retries/,
    )
    expect(reasonOf(r, 'spec.template')).toMatch(
      /references a Deployment instead of embedding a pod template/,
    )
  })

  it('carries steps, routes, analysis and routers over field by field', () => {
    const r = imported(`${FIXTURES}/argo`)
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
    expect(errorRate.metrics).toHaveLength(2)
    expect(errorRate.metrics[0]).toMatchObject({
      failureCondition: 'result[0] > 0.05 || isNaN(result[0])',
      count: 5,
      failureLimit: 1,
      provider: { prometheus: { address: 'http://prometheus.monitoring.svc.cluster.local:9090' } },
    })
    // Argo's job metric as Kanari's job provider: one container's image and command, judged by the
    // Job's outcome (1 or 0), as Argo judges it.
    expect(errorRate.metrics[1]).toEqual({
      name: 'smoke-job',
      successCondition: 'result == 1',
      provider: {
        job: {
          image: 'curlimages/curl',
          command: ['curl', '-f', 'http://{{args.service-name}}/healthz'],
        },
      },
    })
    expect(r.notes.map((n) => n.message)).toContain(
      "condition written as Kanari's: (result) >= 0.90",
    )
  })
})

describe('importManifests: Flagger', () => {
  it('lists exactly the fields it could not carry over', () => {
    const r = imported(`${FIXTURES}/flagger`)
    expect(r.lint).toEqual([])
    expect(r.leftAlone).toEqual([])
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

  it('carries the analysis, metrics, webhooks and alerts over field by field', () => {
    const r = imported(`${FIXTURES}/flagger`)
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

describe('importManifests: files as the projects keep them (test/fixtures/import/real)', () => {
  it('imports the Rollout of an Argo file with Services and an Ingress, and lists the rest', () => {
    const r = imported(`${FIXTURES}/real/argo/rollout-canary-notifications.yaml`)
    expect(
      r.documents.map((d) => `${String(d.kind)}/${(d.metadata as { name: string }).name}`),
    ).toEqual(['Rollout/rollout-canary'])
    expect(r.lint).toEqual([])
    expect(
      r.leftAlone.map(
        (o) =>
          `${o.file.replace(`${FIXTURES}/`, '')}:${o.line} ${o.apiVersion} ${o.kind}/${o.name}`,
      ),
    ).toEqual([
      'real/argo/rollout-canary-notifications.yaml:4 v1 Service/rollouts-canary',
      'real/argo/rollout-canary-notifications.yaml:18 networking.k8s.io/v1 Ingress/rollouts-demo-stable',
    ])
    expect(r.leftAlone[0]?.reason).toMatch(/^Kanari creates the services it routes between/)
    expect(r.leftAlone[1]?.reason).toMatch(
      /^a routing object: Kanari's router updates the one you have/,
    )
    expect(doc(r, 'Rollout', 'rollout-canary').spec).toMatchObject({
      replicas: 5,
      service: { port: 8080 },
      strategy: {
        canary: {
          steps: [
            { setWeight: 20 },
            { pause: {} },
            { setWeight: 40 },
            { pause: { duration: '10s' } },
            { setWeight: 60 },
            { pause: { duration: '10s' } },
            { setWeight: 80 },
            { pause: { duration: '10s' } },
          ],
        },
      },
    })
  })

  it('with strict, refuses the whole file, naming each object it would leave alone', () => {
    const files = readManifestFiles([`${FIXTURES}/real/argo/rollout-bluegreen.yaml`])
    const err = refusal(() => importManifests(files, { strict: true }))
    expect(err.message).toMatch(
      /^cannot import: --strict, and 2 objects of the input would be left alone:/,
    )
    expect(
      (err.details as { line: number; message: string }[]).map((d) => `${d.line} ${d.message}`),
    ).toEqual([
      '40 Service/rollout-bluegreen-active (v1) is not converted: Kanari creates the services it routes between; apply your own Services as they are, if you still need them',
      '53 Service/rollout-bluegreen-preview (v1) is not converted: Kanari creates the services it routes between; apply your own Services as they are, if you still need them',
    ])
    expect(err.hint).toContain('nothing was converted')
    // Without strict the same file converts.
    expect(importManifests(files).documents).toHaveLength(1)
  })

  it("converts Argo's job metrics to the job provider", () => {
    const r = imported(`${FIXTURES}/real/argo/analysis-templates.yaml`)
    expect(doc(r, 'AnalysisTemplate', 'pass').spec).toEqual({
      metrics: [
        {
          name: 'pass',
          successCondition: 'result == 1',
          interval: '5s',
          count: 1,
          failureLimit: 1,
          provider: { job: { image: 'alpine:3.8', command: ['sh', '-c', 'exit 0'] } },
        },
      ],
    })
    expect(listed(r)).toEqual([
      'real/argo/analysis-templates.yaml:22 AnalysisTemplate/pass spec.metrics[0].provider.job.spec.template.spec.containers[0].name',
      'real/argo/analysis-templates.yaml:48 AnalysisTemplate/random-fail spec.metrics[0].provider.job.spec.template.spec.containers[0].name',
    ])
  })

  it('reads a Canary with gatewayRefs and no provider as Gateway API, as Flagger does', () => {
    const r = imported(`${FIXTURES}/real/flagger/gatewayapi-canary.yaml`)
    expect(doc(r, 'Rollout', 'podinfo').spec).toMatchObject({
      trafficRouting: { gatewayAPI: { httpRoute: 'podinfo' } },
    })
    expect(reasonOf(r, 'spec.service.gatewayRefs')).toBe(
      'the parents of the HTTPRoute Flagger generated (podinfo): Kanari updates that HTTPRoute and does not create it',
    )
    expect(r.notes.map((n) => n.message)).toContain(
      "no spec.provider, and service.gatewayRefs: only Flagger's gatewayapi provider reads them, so its -mesh-provider was gatewayapi; trafficRouting.gatewayAPI.httpRoute is podinfo, the HTTPRoute Flagger generated",
    )
  })

  it("reads a Canary with no provider as Flagger's default istio, and says it is a guess", () => {
    const r = imported(`${FIXTURES}/real/flagger/kuma-canary.yaml`)
    expect(doc(r, 'Rollout', 'podinfo').spec).toMatchObject({
      trafficRouting: { istio: { virtualService: { name: 'podinfo' } } },
    })
    const note = r.notes.find((n) => n.message.startsWith('no spec.provider'))
    expect(note).toMatchObject({ file: `${FIXTURES}/real/flagger/kuma-canary.yaml`, line: 8 })
    expect(note?.message).toMatch(/-mesh-provider flag, istio when not given/)
    expect(note?.message).toMatch(/if yours did, set spec.trafficRouting to that router/)
  })
})

const CANARY = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: web, namespace: shop }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
`

describe('importManifests: what cannot be converted', () => {
  it('says what it could not take, and what lint still needs', () => {
    const r = imported(`${FIXTURES}/edge/needs-work.yaml`)
    expect(listed(r)).toEqual([
      'edge/needs-work.yaml:17 Rollout/Legacy.API spec.strategy.canary.trafficRouting.alb',
      'edge/needs-work.yaml:25 Rollout/Legacy.API spec.strategy.canary.steps[2]',
      'edge/needs-work.yaml:36 AnalysisTemplate/secret-check spec.args[0].valueFrom',
      'edge/needs-work.yaml:44 AnalysisTemplate/secret-check spec.metrics[0].count',
      'edge/needs-work.yaml:45 AnalysisTemplate/secret-check spec.metrics[0].failureLimit',
      'edge/needs-work.yaml:46 AnalysisTemplate/secret-check spec.metrics[0].successCondition',
      'edge/needs-work.yaml:54 AnalysisTemplate/secret-check spec.metrics[1]',
    ])
    expect(reasonOf(r, 'spec.metrics[1]')).toBe(
      "the web provider sends PUT: Kanari's sends GET or POST; rewrite this metric",
    )
    expect(r.notes.map((n) => n.message)).toContain(
      'named legacy-api: Kanari names are lower-case letters, digits and dashes, at most 63 (was "Legacy.API")',
    )
    expect(r.lint.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'spec.strategy.canary.steps[1].analysis.templates[0]: template "secret-check" needs arg "api-token": add args: [{ name: "api-token", value: … }]',
    ])
  })
})

describe('importManifests: routers, job metrics and objects left alone', () => {
  it('reads ingressRef without a provider as nginx, and gatewayRefs beside another provider as unused', () => {
    const nginx = inline(
      `${CANARY}  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: web-ing }\n  service: { port: 80 }\n`,
    )
    expect(doc(nginx, 'Rollout', 'web').spec).toMatchObject({
      trafficRouting: { nginx: { ingress: 'web-ing' } },
    })
    expect(nginx.notCarried.map((n) => n.path)).not.toContain('spec.ingressRef')
    expect(nginx.notes.map((n) => n.message).join('\n')).toMatch(/nginx or skipper/)

    const istio = inline(
      `${CANARY}  provider: istio\n  service:\n    port: 80\n    gatewayRefs: [{ name: gw, namespace: infra }]\n`,
    )
    expect(doc(istio, 'Rollout', 'web').spec).toMatchObject({
      trafficRouting: { istio: { virtualService: { name: 'web' } } },
    })
    expect(reasonOf(istio, 'spec.service.gatewayRefs')).toBe(
      "only Flagger's gatewayapi provider reads gatewayRefs; this Canary's provider is istio",
    )
  })

  it('gives up a provider Kanari has no router for, and nginx without an Ingress', () => {
    const r = inline(`${CANARY}  provider: contour\n  service: { port: 80 }\n`)
    expect(doc(r, 'Rollout', 'web').spec).not.toHaveProperty('trafficRouting')
    expect(reasonOf(r, 'spec.provider')).toBe(
      'Kanari has no contour router; use gatewayAPI, istio, nginx or smi',
    )
    const n = inline(`${CANARY}  provider: nginx\n  service: { port: 80 }\n`)
    expect(reasonOf(n, 'spec.provider')).toMatch(/needs spec.ingressRef.name/)
  })

  it('carries a job metric with a deadline; one whose program it cannot tell is given up with why', () => {
    const job = (container: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: { name: t }
spec:
  metrics:
    - name: check
      successCondition: result == "ok"
      provider:
        job:
          metadata: { labels: { team: a } }
          spec:
            backoffLimit: 0
${extra}            template:
              spec:
                restartPolicy: Never
                containers:
${container}`
    const ok = inline(
      job(
        '                  - { name: c, image: busybox, command: [sh, -c], args: [exit 0] }\n',
        '            activeDeadlineSeconds: 90\n',
      ),
    )
    expect(doc(ok, 'AnalysisTemplate', 't').spec).toEqual({
      metrics: [
        {
          name: 'check',
          successCondition: 'result == 1',
          provider: { job: { image: 'busybox', command: ['sh', '-c', 'exit 0'], timeout: 90 } },
        },
      ],
    })
    expect(listed(ok)).toEqual([
      'in.yaml:7 AnalysisTemplate/t spec.metrics[0].successCondition',
      'in.yaml:10 AnalysisTemplate/t spec.metrics[0].provider.job.metadata',
      'in.yaml:18 AnalysisTemplate/t spec.metrics[0].provider.job.spec.template.spec.containers[0].name',
    ])
    const argsOnly = inline(
      job('                  - { name: c, image: busybox, args: [--check] }\n'),
    )
    expect(listed(argsOnly)).toEqual(['in.yaml:6 AnalysisTemplate/t spec.metrics[0]'])
    expect(reasonOf(argsOnly, 'spec.metrics[0]')).toMatch(
      /not the image's entrypoint; write the command out/,
    )
    const two = inline(
      job(
        '                  - { name: a, image: busybox, command: [true] }\n                  - { name: b, image: busybox, command: [true] }\n',
      ),
    )
    expect(reasonOf(two, 'spec.metrics[0]')).toBe(
      "its Job has 2 containers: Kanari's job provider runs one",
    )
  })

  it('leaves Kanari manifests and other kinds alone, and refuses input with nothing to convert', () => {
    const r = inline(
      [
        CANARY + '  service: { port: 80 }',
        'apiVersion: kanari.dev/v1alpha1\nkind: Rollout\nmetadata: { name: web }\nspec: {}',
        'apiVersion: v1\nkind: Secret\nmetadata: { name: token }\nstringData: { t: x }',
      ].join('\n---\n'),
    )
    expect(r.documents).toHaveLength(1)
    expect(r.leftAlone.map((o) => `${o.line} ${o.kind}/${o.name}: ${o.reason}`)).toEqual([
      '8 Rollout/web: already a Kanari manifest: check it with `kanari lint`',
      '13 Secret/token: not an object kanari import converts; apply it as it is',
    ])
    const none = refusal(() => inline('apiVersion: v1\nkind: Service\nmetadata: { name: web }\n'))
    expect(none.message).toBe(
      'cannot import: the only object in the input is not one kanari import converts:\n  in.yaml:1 Service/web (v1) is not converted: Kanari creates the services it routes between; apply your own Services as they are, if you still need them',
    )
  })

  it('refuses a version of a kind it converts, and documents that are not objects, with every problem at once', () => {
    const err = refusal(() =>
      inline(
        [
          'apiVersion: v1\nkind: Service\nmetadata: { name: web }',
          'apiVersion: flagger.app/v1alpha3\nkind: Canary\nmetadata: { name: web }\nspec: {}',
          '- just\n- a list',
          CANARY,
        ].join('\n---\n'),
      ),
    )
    expect(
      (err.details as { line: number; message: string }[]).map((d) => `${d.line} ${d.message}`),
    ).toEqual([
      '5 Canary of "flagger.app/v1alpha3" is a version kanari import does not read; it reads flagger.app/v1beta1',
      '10 is not a Kubernetes object (a mapping with apiVersion and kind)',
    ])
    expect(err.hint).toContain('nothing was converted')
  })
})
