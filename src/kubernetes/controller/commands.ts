/**
 * Commands as changes to the Rollout that any client can make: an annotation per command whose
 * value changes each time it is asked (`kubectl kanari promote` writes "<time> by <who>"; `kubectl
 * annotate --overwrite` or a GitOps commit works as well). The controller runs each new value once,
 * records it under `status.kanari.commands`, and the last outcome under `status.kanari.lastCommand`.
 */
import type { RolloutCommand } from '../../engine/commands.js'

export const COMMAND_PREFIX = 'kanari.dev/'

/** The command annotations, in the order new values are handled when several arrive together. */
export const COMMAND_ANNOTATIONS = [
  'abort',
  'retry',
  'resume',
  'pause',
  'promote',
  'promote-full',
] as const
export type CommandAnnotation = (typeof COMMAND_ANNOTATIONS)[number]

export function commandOf(name: CommandAnnotation, value: string): RolloutCommand {
  switch (name) {
    case 'promote':
      return { type: 'promote' }
    case 'promote-full':
      return { type: 'promote', full: true }
    case 'abort': {
      const reason = /\breason=(.*)$/.exec(value)?.[1]
      return reason === undefined ? { type: 'abort' } : { type: 'abort', reason }
    }
    default:
      return { type: name }
  }
}

/** Who asked, from a value "<time> by <who>[ reason=…]" (else "annotation"). */
export function actorOf(value: string): string {
  const by = / by (\S+)/.exec(value)?.[1]
  return by ?? 'annotation'
}

/** Command annotations whose value differs from the one last handled, in handling order. */
export function newCommands(
  annotations: Record<string, string> | undefined,
  handled: Record<string, string>,
): { name: CommandAnnotation; value: string }[] {
  const out: { name: CommandAnnotation; value: string }[] = []
  for (const name of COMMAND_ANNOTATIONS) {
    const value = annotations?.[COMMAND_PREFIX + name]
    if (value !== undefined && value !== handled[name]) out.push({ name, value })
  }
  return out
}

/** The command annotations present now (a Rollout seen for the first time runs none of them). */
export function currentCommands(
  annotations: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of COMMAND_ANNOTATIONS) {
    const value = annotations?.[COMMAND_PREFIX + name]
    if (value !== undefined) out[name] = value
  }
  return out
}
