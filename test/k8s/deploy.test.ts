/**
 * The install in deploy/: the kustomization and the Helm chart pass the API server's own dry run
 * (`helm lint`, `helm template … | kubectl apply --dry-run=server`), the chart grants exactly the
 * rules of deploy/rbac.yaml, and a controller running as the kanari-controller ServiceAccount —
 * with nothing but those rules — carries releases through Gateway API, Istio and replica-ratio
 * routing, serving /healthz, /readyz and /metrics.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { startController, type ControllerProcess } from './support/controller.js'
import {
  applyObject,
  deployment,
  kubectl,
  kubectlOk,
  run,
  setVersion,
  testNamespace,
  waitFor,
} from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  httpRoute,
  rolloutManifest,
  routeWeights,
  virtualService,
  virtualServiceWeights,
  waitForStatus,
  weightsWhenCanaryAt,
} from './support/scenario.js'

const root = join(import.meta.dirname, '..', '..')
const HELM = process.env.KANARI_HELM ?? ''
const SA = 'system:serviceaccount:kanari-system:kanari-controller'

let ns: Awaited<ReturnType<typeof testNamespace>>
let controller: ControllerProcess | undefined
beforeAll(async () => {
  // The controller's namespace, for real: dry runs of namespaced objects need it to exist.
  await kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: kanari-system}\n',
  )
  ns = await testNamespace('deploy')
})
afterAll(async () => {
  await controller?.stop()
  await ns.delete()
  await kubectl(['delete', '-f', join(root, 'deploy/rbac.yaml'), '--ignore-not-found'])
})

function rulesOf(yamlText: string): unknown {
  const docs = parseAllDocuments(yamlText).map(
    (d) => d.toJS() as { kind?: string; rules?: unknown } | null,
  )
  return docs.filter((d) => d?.kind === 'ClusterRole' || d?.kind === 'Role').map((d) => d?.rules)
}

describe('deploy/', () => {
  it('the kustomization passes a server-side dry run', async () => {
    const r = await kubectl([
      'apply',
      '--dry-run=server',
      '--server-side',
      '--force-conflicts',
      '-k',
      join(root, 'deploy'),
    ])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(
      /deployment\.apps\/kanari-controller serverside-applied \(server dry run\)/,
    )
    expect(r.stdout).toMatch(
      /clusterrole\.rbac\.authorization\.k8s\.io\/kanari-controller serverside-applied \(server dry run\)/,
    )
  })

  it('the Helm chart lints and its manifests pass a server-side dry run', async () => {
    if (HELM === '')
      throw new Error('KANARI_HELM names no helm binary: run the suite with npm run test:k8s')
    const lint = await run(HELM, ['lint', join(root, 'deploy/helm/kanari')])
    expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/)
    expect(lint.code).toBe(0)
    const template = await run(HELM, [
      'template',
      'kanari',
      join(root, 'deploy/helm/kanari'),
      '--namespace',
      'kanari-system',
      '--include-crds',
    ])
    expect(template.code).toBe(0)
    const apply = await kubectl(
      ['apply', '--dry-run=server', '--server-side', '--force-conflicts', '-f', '-'],
      template.stdout,
    )
    expect(apply.stderr).toBe('')
    expect(apply.stdout).toMatch(
      /deployment\.apps\/kanari-controller serverside-applied \(server dry run\)/,
    )
    expect(apply.stdout).toMatch(
      /customresourcedefinition\.apiextensions\.k8s\.io\/rollouts\.kanari\.dev serverside-applied/,
    )
    // The chart grants what deploy/rbac.yaml grants, rule for rule.
    expect(rulesOf(template.stdout)).toEqual(
      rulesOf(readFileSync(join(root, 'deploy/rbac.yaml'), 'utf8')),
    )
  })

  it('grants the controller nothing it does not use', async () => {
    await kubectlOk([
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(root, 'deploy/rbac.yaml'),
    ])
    const can = async (verb: string, resource: string): Promise<string> =>
      (await kubectl(['auth', 'can-i', verb, resource, '--as', SA, '-n', ns.name])).stdout.trim()
    expect(await can('patch', 'rollouts.kanari.dev')).toBe('yes')
    expect(await can('patch', 'deployments.apps/scale')).toBe('yes')
    for (const [verb, resource] of [
      ['delete', 'rollouts.kanari.dev'],
      ['update', 'deployments.apps'],
      ['delete', 'deployments.apps'],
      ['list', 'secrets'],
      ['watch', 'configmaps'],
      ['delete', 'services'],
      ['create', 'pods'],
      ['delete', 'httproutes.gateway.networking.k8s.io'],
      ['create', 'httproutes.gateway.networking.k8s.io'],
    ] as const)
      expect(`${verb} ${resource}: ${await can(verb, resource)}`).toBe(`${verb} ${resource}: no`)
  })

  it('runs releases as that ServiceAccount, with probes and metrics', async () => {
    const token = (
      await kubectlOk([
        '-n',
        'kanari-system',
        'create',
        'token',
        'kanari-controller',
        '--duration=1h',
      ])
    ).trim()
    const server = (
      await kubectlOk(['config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.server}'])
    ).trim()
    const ca = (
      await kubectlOk([
        'config',
        'view',
        '--raw',
        '-o',
        'jsonpath={.clusters[0].cluster.certificate-authority-data}',
      ])
    ).trim()
    const dir = mkdtempSync(join(tmpdir(), 'kanari-sa-'))
    const kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}", certificate-authority-data: ${ca}}}]
users: [{name: sa, user: {token: ${token}}}]
contexts: [{name: sa, context: {cluster: c, user: sa}}]
current-context: sa
`,
      { mode: 0o600 },
    )
    for (const name of ['gw', 'mesh', 'plain']) await applyObject(deployment(ns.name, name, '1', 2))
    await httpRoute(ns.name, 'gw')
    await virtualService(ns.name, 'mesh')
    controller = await startController({
      namespace: ns.name,
      leaderElection: true,
      extra: ['--leader-election-namespace', 'kanari-system', '--kubeconfig', kubeconfig],
      env: { KUBECONFIG: kubeconfig },
    })
    await controller.leading
    const steps = { canary: { steps: [{ setWeight: 40 }, { pause: {} }] } }
    await applyRollout(
      rolloutManifest(ns.name, 'gw', {
        strategy: steps,
        trafficRouting: { gatewayAPI: { httpRoute: 'gw' } },
      }),
    )
    await applyRollout(
      rolloutManifest(ns.name, 'mesh', {
        strategy: steps,
        trafficRouting: { istio: { virtualService: { name: 'mesh' } } },
      }),
    )
    await applyRollout(rolloutManifest(ns.name, 'plain', { strategy: steps }))
    for (const name of ['gw', 'mesh', 'plain'])
      await waitForStatus(ns.name, name, 'healthy', (s) => s.phase === 'Healthy')
    for (const name of ['gw', 'mesh', 'plain']) await setVersion(ns.name, name, '2')
    for (const name of ['gw', 'mesh', 'plain'])
      await waitForStatus(
        ns.name,
        name,
        'paused at 40%',
        (s) => s.phase === 'Paused' && s.weight === 40,
      )
    expect(await weightsWhenCanaryAt(() => routeWeights(ns.name, 'gw'), 'gw-canary', 40)).toEqual({
      'gw-primary': 60,
      'gw-canary': 40,
    })
    expect(
      await weightsWhenCanaryAt(() => virtualServiceWeights(ns.name, 'mesh'), 'mesh-canary', 40),
    ).toEqual({
      'mesh-primary': 60,
      'mesh-canary': 40,
    })
    for (const name of ['gw', 'mesh', 'plain']) await annotateCommand(ns.name, name, 'promote')
    for (const name of ['gw', 'mesh', 'plain'])
      await waitForStatus(ns.name, name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)
    await waitFor('the apex of the replica-ratio rollout selects the primary again', async () => {
      const selector = await kubectlOk([
        '-n',
        ns.name,
        'get',
        'service',
        'plain',
        '-o',
        'jsonpath={.spec.selector.app}',
      ])
      return selector === 'plain-primary' ? true : undefined
    })
    expect(controller.log.join('\n')).not.toMatch(/forbidden/i)
    const base = `http://127.0.0.1:${controller.metricsPort}`
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/^kanari_leader 1$/m)
    expect(metrics).toMatch(/^kanari_rollouts 3$/m)
    expect(metrics).toMatch(
      /^kanari_api_requests_total\{verb="PATCH\(json-patch\)",resource="rollouts\/status"\} \d+$/m,
    )
  })
})
