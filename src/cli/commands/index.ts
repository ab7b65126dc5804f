/** The registry of CLI commands: one module per command group, each registering itself on the program. */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { registerDaemonCommands } from './daemon.js'
import { registerDemoCommand } from './demo.js'
import { registerLintCommand } from './lint.js'
import { registerRolloutCommands } from './rollouts.js'
import { registerSimulateCommand } from './simulate.js'

export type RegisterCommand = (program: Command, ctx: CliContext) => void

export const commands: RegisterCommand[] = [
  registerLintCommand,
  registerSimulateCommand,
  registerRolloutCommands,
  registerDaemonCommands,
  registerDemoCommand,
]
