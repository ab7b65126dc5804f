/**
 * The environment of a process workload: names a process can be given, and none of those Kanari
 * sets on every replica itself (its port, its identity), which a spec could only believe it set.
 */
import type { DocumentProblems } from './document-problems.js'

/** What a POSIX shell accepts as a variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name)
}

/** Set by Kanari on every replica, over anything the spec says (see local/supervisor). */
const SET_BY_KANARI = ['PORT', 'KANARI_REPLICA_ID', 'KANARI_REVISION_KEY'] as const

/** What is wrong with `name` as a variable of a replica's environment, or undefined if nothing. */
export function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name))
    return `"${name}" is not an environment variable name: use letters, digits and _, not starting with a digit`
  if (name === 'PORT')
    return 'PORT is set by Kanari: each replica gets its own free port in PORT, so the app must read it, not set it'
  if ((SET_BY_KANARI as readonly string[]).includes(name))
    return `${name} is set by Kanari on every replica; choose another name`
  return undefined
}

/** `spec` as written (read as unknown: these rules also run on documents the schema refused). */
export function checkProcessEnv(p: DocumentProblems, spec: unknown): void {
  const env = field(field(field(spec, 'workload'), 'process'), 'env')
  if (env === null || typeof env !== 'object' || Array.isArray(env)) return
  for (const name of Object.keys(env)) {
    const problem = envNameProblem(name)
    if (problem !== undefined) p.add(['spec', 'workload', 'process', 'env', name], problem, true)
  }
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined
}
