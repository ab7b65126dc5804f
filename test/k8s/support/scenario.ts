/**
 * A rollout scenario on the test cluster: the user's Deployment, the routing object, the Rollout,
 * and a controller watching the namespace — with readers for what a test checks at every step
 * (route weights, replicas, status, conditions) and the commands a user would give.
 */
import { stringify } from 'yaml'
import { RESOURCES, type KubeObject } from '../../../src/kubernetes/kit/types.js'
import type { RolloutObject } from '../../../src/kubernetes/store/rollout-status-store.js'
import type { Deployment } from '../../../src/kubernetes/workloads/deployments.js'
import { startController, type ControllerArgs, type ControllerProcess } from './controller.js'
import {
  applyObject,
  deployment,
  get,
  kube,
  kubectlOk,
  rollout,
  testNamespace,
  waitFor,
} from './kube.js'

export interface Scenario {
  ns: string
  name: string
  controller: ControllerProcess
  close(): Promise<void>
}

export async function openScenario(
  prefix: string,
  options: {
    name?: string
    replicas?: number
    controller?: Omit<ControllerArgs, 'namespace'>
  } = {},
): Promise<Scenario & { namespace: Awaited<ReturnType<typeof testNamespace>> }> {
  const namespace = await testNamespace(prefix)
  const name = options.name ?? 'web'
  await applyObject(deployment(namespace.name, name, '1', options.replicas ?? 2))
  const controller = await startController({ namespace: namespace.name, ...options.controller })
  return {
    ns: namespace.name,
    name,
    namespace,
    controller,
    async close() {
      await controller.stop()
      await namespace.delete()
    },
  }
}

export function rolloutManifest(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'kanari.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 2,
      workload: { targetRef: { kind: 'Deployment', name } },
      service: { port: 80 },
      ...spec,
    },
  }
}

export async function applyRollout(rolloutObject: KubeObject): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], stringify(rolloutObject))
}

export async function httpRoute(ns: string, name: string): Promise<void> {
  await applyObject({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns },
    spec: { parentRefs: [{ name: 'gateway' }], hostnames: [`${name}.example.com`] },
  })
}

export async function virtualService(ns: string, name: string): Promise<void> {
  await applyObject({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: ns },
    spec: {
      hosts: [`${name}.example.com`],
      gateways: ['mesh'],
      http: [{ route: [{ destination: { host: name } }] }],
    },
  })
}

/** Weights of the HTTPRoute's weighted rule, by Service. */
export async function routeWeights(ns: string, route: string): Promise<Record<string, number>> {
  const r = await get<
    KubeObject & {
      spec: { rules?: { name?: string; backendRefs?: { name: string; weight?: number }[] }[] }
    }
  >(RESOURCES.httpRoutes, ns, route)
  const rule = r.spec.rules?.find((x) => x.name === 'kanari-weighted')
  return Object.fromEntries((rule?.backendRefs ?? []).map((b) => [b.name, b.weight ?? 1]))
}

/** Weights of the VirtualService's weighted http route, by destination host. */
export async function virtualServiceWeights(
  ns: string,
  vs: string,
): Promise<Record<string, number>> {
  const v = await get<
    KubeObject & {
      spec: {
        http?: { name?: string; route?: { destination: { host: string }; weight?: number }[] }[]
      }
    }
  >(RESOURCES.virtualServices, ns, vs)
  const route = v.spec.http?.find((x) => x.name === 'kanari-weighted')
  return Object.fromEntries((route?.route ?? []).map((d) => [d.destination.host, d.weight ?? 0]))
}

/**
 * The weights once the canary's is `canaryWeight`: the status is saved before the route is written
 * (so a restart resumes from it), and the route follows within a request.
 */
export async function weightsWhenCanaryAt(
  read: () => Promise<Record<string, number>>,
  canaryService: string,
  canaryWeight: number,
): Promise<Record<string, number>> {
  let last: Record<string, number> = {}
  try {
    return await waitFor(
      `${canaryService} at ${canaryWeight}%`,
      async () => {
        last = await read()
        return last[canaryService] === canaryWeight ? last : undefined
      },
      15_000,
    )
  } catch {
    // said with what was there, by the assertion of the caller
    return last
  }
}

export async function deploymentOf(ns: string, name: string): Promise<Deployment | undefined> {
  return (await kube()).find<Deployment>(RESOURCES.deployments, ns, name)
}

/** The VERSION env var of a Deployment's template (which revision it runs). */
export function versionOf(d: Deployment | undefined): string | undefined {
  const containers = (d?.spec.template.spec?.containers ?? []) as {
    env?: { name: string; value?: string }[]
  }[]
  return containers[0]?.env?.find((e) => e.name === 'VERSION')?.value
}

export async function readyReplicas(ns: string, name: string): Promise<number> {
  const d = await deploymentOf(ns, name)
  return d?.status?.readyReplicas ?? 0
}

export interface StatusView {
  phase?: string
  step: number
  weight: number
  revision?: number
  stable?: number | null
  canary?: number | null
  pause?: string
}

export async function statusOf(ns: string, name: string): Promise<StatusView> {
  const s = (await rollout(ns, name)).status
  return {
    ...(s?.phase === undefined ? {} : { phase: s.phase }),
    step: s?.currentStepIndex ?? 0,
    weight: s?.traffic?.canaryWeight ?? 0,
    ...(s?.revision === undefined ? {} : { revision: s.revision }),
    ...(s?.stableRevision === undefined ? {} : { stable: s.stableRevision }),
    ...(s?.canaryRevision === undefined ? {} : { canary: s.canaryRevision }),
    ...(s?.pause?.reason === undefined ? {} : { pause: s.pause.reason }),
  }
}

/** Waits until the Rollout's status satisfies `match` (and returns it). */
export async function waitForStatus(
  ns: string,
  name: string,
  what: string,
  match: (s: StatusView, r: RolloutObject) => boolean,
  timeoutMs = 90_000,
): Promise<StatusView> {
  let last: StatusView | undefined
  let message = ''
  return waitFor(
    `rollout ${ns}/${name}: ${what}`,
    async () => {
      const r = await rollout(ns, name)
      last = await statusOf(ns, name)
      message = r.status?.message ?? ''
      return match(last, r) ? last : undefined
    },
    timeoutMs,
    250,
  ).catch((err: unknown) => {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}; last status ${JSON.stringify(last)} "${message}"`,
    )
  })
}

/** A command as any client can give it: a new value of its annotation. */
export async function annotateCommand(ns: string, name: string, command: string): Promise<void> {
  await kubectlOk([
    '-n',
    ns,
    'annotate',
    '--overwrite',
    `rollout/${name}`,
    `kanari.dev/${command}=${new Date().toISOString()} by test`,
  ])
}

/** The reasons of the events saved in the status, in order. */
export async function eventReasons(ns: string, name: string): Promise<string[]> {
  const events = ((await rollout(ns, name)).status?.events ?? []) as { reason: string }[]
  return events.map((e) => e.reason)
}
