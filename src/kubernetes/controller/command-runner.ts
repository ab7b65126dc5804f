/**
 * Running the commands a Rollout's annotations ask for (see commands.ts), each new value once:
 * the engine's transition table decides, a refused command is recorded (status.kanari.lastCommand
 * and a CommandRefused Warning) and changes nothing else, and `spec.paused` going back to false
 * resumes a pause it made. A command that fails to run is not recorded, so it runs again next time.
 */
import { KanariError } from '../../errors.js'
import { applyCommand, type RolloutCommand } from '../../engine/commands.js'
import type { EventRecorder } from '../kit/event-recorder.js'
import { RESOURCES } from '../kit/types.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import { actorOf, commandOf, newCommands } from './commands.js'
import type { RolloutHandle } from './rollout-handle.js'

export interface CommandDeps {
  recorder: EventRecorder
  now: () => number
  /** Saves the runner's status as it is (with the book). */
  save: (handle: RolloutHandle) => Promise<void>
}

interface Pending {
  name: string
  value: string
  command: RolloutCommand
  actor: string
}

export async function runCommands(
  deps: CommandDeps,
  handle: RolloutHandle,
  object: RolloutObject,
): Promise<void> {
  const { runner, book } = handle
  const pending: Pending[] = newCommands(object.metadata.annotations, book.commands).map(
    ({ name, value }) => ({ name, value, command: commandOf(name, value), actor: actorOf(value) }),
  )
  if (runner.plan.paused) book.pausedBySpec = true
  else if (book.pausedBySpec === true) {
    delete book.pausedBySpec
    if (runner.status.phase === 'Paused' && runner.status.pause?.reason === 'UserPause')
      pending.unshift({ name: '', value: '', command: { type: 'resume' }, actor: 'spec.paused' })
  }
  for (const p of pending) {
    // The engine's transition table decides (a pure check); a refusal changes nothing else.
    let refusal: string | undefined
    try {
      applyCommand(runner.plan, runner.status, p.command, deps.now())
    } catch (err) {
      if (!(err instanceof KanariError)) throw err
      refusal = err.hint === undefined ? err.message : `${err.message} (${err.hint})`
    }
    const before = { commands: { ...book.commands }, lastCommand: book.lastCommand }
    if (p.name !== '') {
      book.commands[p.name] = p.value
      book.lastCommand = {
        command: p.name,
        value: p.value,
        accepted: refusal === undefined,
        message: refusal ?? 'accepted',
      }
    }
    try {
      if (refusal === undefined) await runner.command(p.command, deps.now(), p.actor)
      else {
        // Saved with the status so `kubectl kanari` can tell the user.
        await runner.serial(() => deps.save(handle))
        deps.recorder.record(RESOURCES.rollouts, object, {
          type: 'Warning',
          reason: 'CommandRefused',
          action: 'Command',
          note: refusal,
        })
      }
    } catch (err) {
      // Not saved: the command is taken up again next time.
      book.commands = before.commands
      if (before.lastCommand === undefined) delete book.lastCommand
      else book.lastCommand = before.lastCommand
      throw err
    }
  }
}
