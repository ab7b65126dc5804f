/** The registry of CLI commands: one module per command, each registering itself on the program. */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'

export type RegisterCommand = (program: Command, ctx: CliContext) => void

export const commands: RegisterCommand[] = []
