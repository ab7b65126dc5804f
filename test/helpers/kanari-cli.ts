/** Test helpers: the real `kanari` CLI run as a process against a state directory, and its views. */
import { execFile } from 'node:child_process'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { KANARI_BIN, waitFor } from './processes.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `kanari ARGS --state-dir DIR`; never rejects (the exit code is in the result). */
export function kanariIn(dir: string, ...args: string[]): Promise<CliResult> {
  return kanariWithEnv(dir, {}, ...args)
}

/** `kanariIn` with variables added to the environment (a daemon it starts inherits them). */
export function kanariWithEnv(
  dir: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [KANARI_BIN, ...args, '--state-dir', dir],
      { timeout: 60_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        })
      },
    )
  })
}

/** `kanari get rollout NAME -o json`; throws when it fails. */
export async function viewIn(dir: string, name: string): Promise<RolloutView> {
  const res = await kanariIn(dir, 'get', 'rollout', name, '-o', 'json')
  if (res.code !== 0) throw new Error(`get ${name} failed: ${res.stderr}`)
  return JSON.parse(res.stdout) as RolloutView
}

/** Polls `kanari get` until the view satisfies `ok`; returns that view. */
export function viewWhenIn(
  dir: string,
  name: string,
  ok: (v: RolloutView) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<RolloutView> {
  return waitFor(
    async () => {
      const v = await viewIn(dir, name)
      return ok(v) ? v : undefined
    },
    what,
    timeoutMs,
  )
}
