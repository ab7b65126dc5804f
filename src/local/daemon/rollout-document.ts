/**
 * The process workload of a revision, as the supervisor runs it: command, working directory
 * (resolved against the directory the spec was applied from), environment and readiness probe.
 */
import { resolve } from 'node:path'
import type { RolloutSpec } from '../../spec/schema.js'

export interface ProcessTemplate {
  command: string[]
  cwd: string
  env: Record<string, string>
  readiness?: {
    httpGet: string
    periodSeconds?: number
    timeoutSeconds?: number
    initialDelaySeconds?: number
  }
}

export type Workload = RolloutSpec['workload']

export function processTemplate(workload: Workload, baseDir: string): ProcessTemplate | undefined {
  const p = workload.process
  if (p === undefined) return undefined
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(p.env ?? {})) env[k] = String(v)
  return {
    command: p.command,
    cwd: resolve(baseDir, p.cwd ?? '.'),
    env,
    ...(p.readiness === undefined ? {} : { readiness: p.readiness }),
  }
}
