/** `kubectl kanari get | list | promote | abort | retry | pause | resume | undo | set image`. */
import { userInfo } from 'node:os'
import { InputError } from '../../errors.js'
import { RolloutClient } from '../../kubernetes/client/rollout-client.js'
import type { CommandAnnotation } from '../../kubernetes/controller/commands.js'
import { printResult, type CliContext } from '../context.js'
import type { KubectlOptions } from '../commands/kubectl.js'
import { renderKubeRolloutList, renderKubeRolloutView } from '../render/kube-rollout.js'

async function connect(o: KubectlOptions): Promise<RolloutClient> {
  return RolloutClient.connect({
    ...(o.kubeconfig === undefined ? {} : { kubeconfig: o.kubeconfig }),
    ...(o.context === undefined ? {} : { context: o.context }),
    namespace: o.namespace,
  })
}

async function withClient<T>(o: KubectlOptions, fn: (c: RolloutClient) => Promise<T>): Promise<T> {
  const c = await connect(o)
  try {
    return await fn(c)
  } finally {
    await c.close()
  }
}

const LIST_WORDS = new Set(['rollouts', 'ro', 'kro'])
const KIND_WORDS = new Set(['rollout', 'rollouts', 'ro', 'kro', 'rollout.kanari.dev'])

export async function get(
  ctx: CliContext,
  kindOrName: string,
  name: string | undefined,
  o: KubectlOptions & { watch?: boolean; events: number },
): Promise<void> {
  if (name === undefined && LIST_WORDS.has(kindOrName)) {
    await list(ctx, o)
    return
  }
  if (name !== undefined && !KIND_WORDS.has(kindOrName))
    throw new InputError(`unknown kind "${kindOrName}"`, {
      hint: 'kubectl kanari get rollout NAME, or kubectl kanari get NAME',
    })
  const rollout = name ?? kindOrName
  await withClient(o, async (c) => {
    const show = async (): Promise<void> => {
      const view = await c.view(rollout)
      await printResult(ctx, o.output, view.rollout, () => renderKubeRolloutView(view, o.events))
    }
    await show()
    if (o.watch !== true) return
    const abort = new AbortController()
    const stop = (): void => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    let last = ''
    await c.watch(
      rollout,
      (r) => {
        const text = JSON.stringify(r.status)
        if (text === last) return
        last = text
        if (o.output === 'table') ctx.io.stdout.write('\n')
        void show()
      },
      abort.signal,
    )
  })
}

export async function list(ctx: CliContext, o: KubectlOptions): Promise<void> {
  await withClient(o, async (c) => {
    const items = await c.list(o.allNamespaces === true ? null : c.namespace)
    await printResult(ctx, o.output, { items }, () =>
      renderKubeRolloutList(items, o.allNamespaces === true),
    )
  })
}

function actor(): string {
  try {
    return userInfo().username
  } catch {
    return 'user'
  }
}

export async function command(
  ctx: CliContext,
  name: string,
  type: CommandAnnotation,
  o: KubectlOptions & { wait: number; reason?: string },
): Promise<void> {
  await withClient(o, async (c) => {
    const outcome = await c.command(name, type, {
      actor: `${actor()}@kubectl-kanari`,
      waitSeconds: o.wait,
      ...(o.reason === undefined ? {} : { reason: o.reason }),
    })
    if (outcome.accepted === false) ctx.exitCode = 4
    await printResult(ctx, o.output, outcome, () =>
      outcome.accepted === undefined
        ? `rollout ${name}: ${type} requested (not waiting for the controller)\n`
        : outcome.accepted
          ? `rollout ${name}: ${type} accepted\n`
          : `rollout ${name}: ${type} refused: ${outcome.message}\n`,
    )
  })
}

export async function undo(
  ctx: CliContext,
  name: string,
  o: KubectlOptions & { toRevision?: number },
): Promise<void> {
  await withClient(o, async (c) => {
    const { revision, target } = await c.undo(name, o.toRevision)
    await printResult(
      ctx,
      o.output,
      { rollout: name, target, revision },
      () =>
        `rollout ${name}: Deployment ${target} has revision ${revision}'s template again; the controller rolls it out\n`,
    )
  })
}

export async function setImage(
  ctx: CliContext,
  name: string,
  assignments: string[],
  o: KubectlOptions,
): Promise<void> {
  await withClient(o, async (c) => {
    const { target, changed } = await c.setImage(name, assignments)
    await printResult(
      ctx,
      o.output,
      { rollout: name, target, changed },
      () =>
        `rollout ${name}: Deployment ${target} now ${changed.join(', ')}; the controller rolls the new revision out\n`,
    )
  })
}
