/**
 * What `kanari apply` can check without a daemon: the spec and its plans, that it can run locally,
 * and that every secret it names (notification URLs, metric providers' credentials) can be read.
 */
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { ConflictError, InputError } from '../../errors.js'
import {
  parseRolloutSet,
  planFor,
  STDIN_NAME,
  type RolloutSet,
  type SourceFile,
} from '../../manifests/rollout-set.js'
import type { HttpAuth, SecretSource } from '../../analysis/types.js'
import { readWebhookUrl, SecretError } from '../../notify/index.js'
import { readSecret, SecretError as ProviderSecretError } from '../../providers/secrets.js'
import { secretSource } from '../../spec/normalize/index.js'

/** The directory relative paths of a manifest start from (stdin: the caller's). */
export function manifestDir(file: string, baseDir: string): string {
  return file === STDIN_NAME ? baseDir : dirname(resolve(baseDir, file))
}

/** Local mode runs a process or moves a flag; a targetRef workload needs Kubernetes. */
export function checkRunsLocally(set: RolloutSet): void {
  for (const { doc } of set.rollouts) {
    const { flag, process } = doc.spec.workload
    if (flag === undefined && process === undefined)
      throw new InputError(
        `rollout ${doc.metadata.name}: spec.workload.process (or flag) is required in local mode (targetRef workloads need Kubernetes)`,
      )
  }
}

/**
 * Refuses the whole set if a notification's webhook URL cannot be read where its spec says (a
 * variable the daemon was not given, a missing file): better now than a silent failure later.
 */
export function checkNotificationSecrets(set: RolloutSet, baseDir: string): void {
  for (const { doc, file } of set.rollouts) {
    for (const [i, n] of (doc.spec.notifications ?? []).entries()) {
      try {
        readWebhookUrl(secretSource(n.urlFrom), manifestDir(file, baseDir))
      } catch (err) {
        if (!(err instanceof SecretError)) throw err
        throw new InputError(
          `rollout ${doc.metadata.name}: spec.notifications[${i}] (${n.name ?? n.provider}): ${err.message}`,
          { hint: `${err.hint}; nothing was changed` },
        )
      }
    }
  }
}

/** Every metric provider's credentials in a plan, found wherever the plan holds a provider. */
function providerAuths(plan: unknown, found: { metric: string; auth: HttpAuth }[] = []) {
  if (Array.isArray(plan)) for (const item of plan) providerAuths(item, found)
  else if (typeof plan === 'object' && plan !== null) {
    const o = plan as Record<string, unknown>
    if (typeof o.name === 'string' && typeof o.provider === 'object' && o.provider !== null) {
      const auth = (o.provider as { auth?: HttpAuth }).auth
      if (auth !== undefined) found.push({ metric: o.name, auth })
    }
    for (const v of Object.values(o)) providerAuths(v, found)
  }
  return found
}

function secretsOf(auth: HttpAuth): SecretSource[] {
  return auth.kind === 'bearer' ? [auth.token] : [auth.password]
}

/**
 * Refuses the set if a metric provider's token or password cannot be read by this process: it is
 * read again at each measurement, but one that is missing at the start fails every measurement.
 */
export async function checkProviderSecrets(set: RolloutSet): Promise<void> {
  for (const { doc } of set.rollouts) {
    const plan = planFor(doc, set.templates, 1)
    const seen = new Set<string>()
    for (const { metric, auth } of providerAuths(plan))
      for (const source of secretsOf(auth)) {
        const key = JSON.stringify(source)
        if (seen.has(key)) continue
        seen.add(key)
        try {
          await readSecret(source)
        } catch (err) {
          if (!(err instanceof ProviderSecretError)) throw err
          throw new InputError(`rollout ${doc.metadata.name}: metric ${metric}: ${err.message}`, {
            hint: 'set it, or fix the metric’s auth, and apply again; nothing was changed',
          })
        }
      }
  }
}

/**
 * Everything `apply` checks before it needs a daemon: used by the CLI before it starts one, so that
 * bad input leaves no daemon behind. Throws the first problem; returns the parsed set.
 */
export async function preflightApply(files: SourceFile[], baseDir: string): Promise<RolloutSet> {
  const set = parseRolloutSet(files)
  checkRunsLocally(set)
  for (const { doc } of set.rollouts) planFor(doc, set.templates, 1)
  checkNotificationSecrets(set, baseDir)
  await checkProviderSecrets(set)
  return set
}

/** Whether `port` can be bound on loopback now (nothing else listens there). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer()
    srv.once('error', () => res(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)))
  })
}

/**
 * Before a daemon is started for the set (so none of its rollouts holds a port yet): every fixed
 * service port must be free, and no two rollouts may ask for the same one.
 */
export async function checkServicePortsFree(set: RolloutSet): Promise<void> {
  const claimed = new Map<number, string>()
  for (const { doc } of set.rollouts) {
    const name = doc.metadata.name
    const port = doc.spec.service?.port ?? 0
    if (port === 0 || doc.spec.workload.flag !== undefined) continue
    const other = claimed.get(port)
    if (other !== undefined)
      throw new ConflictError(
        `rollout ${name}: spec.service.port ${port} is also asked for by rollout ${other}`,
        { hint: 'give each rollout its own port (0 picks a free one); nothing was changed' },
      )
    claimed.set(port, name)
    if (!(await portIsFree(port)))
      throw new ConflictError(
        `rollout ${name}: spec.service.port ${port} is taken by another program (EADDRINUSE on 127.0.0.1)`,
        {
          hint: 'free the port or pick another spec.service.port (0 picks a free one), then apply again; nothing was changed',
        },
      )
  }
}
