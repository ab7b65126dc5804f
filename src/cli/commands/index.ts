/**
 * The registry of CLI commands: one module per command group, each registering itself on the
 * program. Registering loads only commander and the option helpers; each action imports what it
 * needs when it runs (src/cli/actions/), so `--version` or `list` never load SQLite, Fastify,
 * TypeBox or the proxy.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { registerDaemonCommands } from './daemon.js'
import { registerDashboardCommand } from './dashboard.js'
import { registerDemoCommand } from './demo.js'
import { registerDiagnoseCommand } from './diagnose.js'
import { registerFlagCommands } from './flags.js'
import { registerGateCommand } from './gate.js'
import { registerLoadtestCommand } from './loadtest.js'
import { registerImportCommand } from './import.js'
import { registerKubectlCommands } from './kubectl.js'
import { registerKubernetesCommands } from './kubernetes.js'
import { registerLintCommand } from './lint.js'
import { registerRolloutCommands } from './rollouts.js'
import { registerSimulateCommand } from './simulate.js'

export type RegisterCommand = (program: Command, ctx: CliContext) => void

export const commands: RegisterCommand[] = [
  registerLintCommand,
  registerImportCommand,
  registerSimulateCommand,
  registerRolloutCommands,
  registerDiagnoseCommand,
  registerGateCommand,
  registerLoadtestCommand,
  registerDaemonCommands,
  registerDemoCommand,
  registerFlagCommands,
  registerDashboardCommand,
  registerKubernetesCommands,
]

/** The commands of `kubectl kanari`: the same words, against the cluster of the kubeconfig. */
export const kubectlCommands: RegisterCommand[] = [registerKubectlCommands]
