/**
 * What the Kubernetes suite shares: the API client for the cluster of $KUBECONFIG, kubectl as a
 * user runs it, a namespace per test file (deleted after), the user's Deployments (pods are KWOK's:
 * Running and Ready, with no process and no reachable IP — the suite never sends them traffic), and
 * waiting for a condition with a clear failure when it never comes.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { KubeClient } from '../../../src/kubernetes/kit/client.js'
import { RESOURCES, type KubeObject } from '../../../src/kubernetes/kit/types.js'
import type { RolloutObject } from '../../../src/kubernetes/store/rollout-status-store.js'

export const KUBECONFIG = process.env.KUBECONFIG ?? ''
if (KUBECONFIG === '')
  throw new Error('the Kubernetes suite needs KUBECONFIG: run `npm run test:k8s`')

export const KUBECTL =
  process.env.KANARI_K8S_BIN === undefined || process.env.KANARI_K8S_BIN === ''
    ? 'kubectl'
    : join(process.env.KANARI_K8S_BIN, 'kubectl')

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command to completion (never throws on a non-zero exit). */
export function run(
  file: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        env: { ...process.env, KUBECONFIG, ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code =
          err === null
            ? 0
            : typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
        resolve({ code, stdout, stderr })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

export function kubectl(args: string[], input?: string): Promise<RunResult> {
  return run(KUBECTL, args, input === undefined ? {} : { input })
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input)
  if (r.code !== 0)
    throw new Error(
      `kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`,
    )
  return r.stdout
}

let client: KubeClient | undefined
export async function kube(): Promise<KubeClient> {
  client ??= await KubeClient.connect({ kubeconfig: KUBECONFIG })
  return client
}

/** A fresh namespace for one test file; `delete()` removes it and everything in it. */
export async function testNamespace(
  prefix: string,
): Promise<{ name: string; delete(): Promise<void> }> {
  const name = `kanari-test-${prefix}-${randomBytes(3).toString('hex')}`
  const c = await kube()
  await c.create(RESOURCES.namespaces, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kanari.dev/test': 'true' } },
  })
  // The default ServiceAccount appears once the controller manager has seen the namespace.
  await waitFor(`serviceaccount ${name}/default`, async () =>
    (await c.find(
      { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount' },
      name,
      'default',
    )) !== undefined
      ? true
      : undefined,
  )
  return {
    name,
    delete: async () => {
      // Finalizers of Rollouts need a controller; drop them so the namespace can go.
      const rollouts = await c.list<RolloutObject>(RESOURCES.rollouts, name)
      for (const r of rollouts.items)
        await c
          .patch(RESOURCES.rollouts, name, r.metadata.name, { metadata: { finalizers: null } })
          .catch(() => undefined)
      await c.delete(RESOURCES.namespaces, undefined, name)
    },
  }
}

/** Polls `check` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < end) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
  )
}

/** The user's Deployment: a `version` env var is its template (change it for a new revision). */
export function deployment(
  namespace: string,
  name: string,
  version: string,
  replicas = 2,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1',
              env: [{ name: 'VERSION', value: version }],
              ports: [{ name: 'http', containerPort: 8080 }],
            },
          ],
        },
      },
    },
  }
}

export async function applyObject(object: KubeObject): Promise<void> {
  await kubectlOk(
    ['apply', '--server-side', '--field-manager', 'user', '-f', '-'],
    JSON.stringify(object),
  )
}

/** `kubectl patch deployment NAME --type merge|json -p PATCH`, as a user edits their Deployment. */
export async function patchDeployment(
  namespace: string,
  name: string,
  type: 'merge' | 'json',
  patch: unknown,
): Promise<void> {
  await kubectlOk([
    '-n',
    namespace,
    'patch',
    'deployment',
    name,
    '--type',
    type,
    '-p',
    JSON.stringify(patch),
  ])
}

/** Changes the user's Deployment template (a new revision), as `kubectl set env` would. */
export async function setVersion(namespace: string, name: string, version: string): Promise<void> {
  await kubectlOk(['-n', namespace, 'set', 'env', `deployment/${name}`, `VERSION=${version}`])
}

export async function rollout(namespace: string, name: string): Promise<RolloutObject> {
  return (await kube()).get<RolloutObject>(RESOURCES.rollouts, namespace, name)
}

/** The typed events saved in the Rollout's status, in order. */
export async function statusEvents(
  namespace: string,
  name: string,
): Promise<{ reason: string; id: number; command?: string }[]> {
  return (await rollout(namespace, name)).status?.events ?? []
}

export async function get<T extends KubeObject>(
  resource: (typeof RESOURCES)[keyof typeof RESOURCES],
  namespace: string,
  name: string,
): Promise<T> {
  return (await kube()).get<T>(resource, namespace, name)
}

/** `kubectl kanari …` as a user types it: kubectl finds the plugin bin/kubectl-kanari on PATH. */
export function kubectlKanari(args: string[]): Promise<RunResult> {
  const bin = join(import.meta.dirname, '..', '..', '..', 'bin')
  return run(KUBECTL, ['kanari', ...args], {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
  })
}
