/**
 * The Kubernetes commands' own checks, without a cluster: `kanari crds`, usage errors of
 * `kanari controller` and `kubectl kanari` (exit 2), and a kubeconfig that cannot be read (exit 1,
 * saying what to do).
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runKanari, type CliRun } from '../helpers/cli.js'

const PLUGIN = join(import.meta.dirname, '..', '..', 'bin', 'kubectl-kanari')

function runPlugin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PLUGIN, ...args],
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        }),
    )
  })
}

describe('kanari crds', () => {
  it('prints the four CRDs as JSON or YAML', async () => {
    const json = await runKanari(['crds', '-o', 'json'])
    expect(json.code).toBe(0)
    const list = JSON.parse(json.stdout) as { items: { metadata: { name: string } }[] }
    expect(list.items.map((c) => c.metadata.name)).toEqual([
      'rollouts.kanari.dev',
      'analysistemplates.kanari.dev',
      'clusteranalysistemplates.kanari.dev',
      'analysisruns.kanari.dev',
    ])
    const yaml = await runKanari(['crds'])
    expect(yaml.stdout).toMatch(/^kind: CustomResourceDefinition$/m)
  })
})

describe('usage errors of the Kubernetes commands', () => {
  it('refuses a renew deadline not shorter than the lease', async () => {
    const r = await runKanari(['controller', '--lease-duration', '5', '--renew-deadline', '5'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--renew-deadline \(5s\) must be less than --lease-duration \(5s\)/)
  })

  it('refuses a tick that is not a positive number', async () => {
    const r = await runKanari(['controller', '--tick', '0'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/option '--tick <seconds>' argument '0' is invalid/)
  })

  it('refuses a wait that is not a number of seconds', async () => {
    const r = await runPlugin(['promote', 'web', '--wait', 'soon'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/option '--wait <seconds>' argument 'soon' is invalid/)
  })

  it('offers the cluster commands under kubectl kanari', async () => {
    const r = await runPlugin(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: kubectl kanari/m)
    for (const c of [
      'get',
      'list',
      'promote',
      'abort',
      'retry',
      'pause',
      'resume',
      'undo',
      'set',
      'lint',
    ])
      expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'))
  })

  it('says what to do when the kubeconfig cannot be read', async () => {
    const r = await runPlugin(['list', '--kubeconfig', '/nonexistent/kubeconfig'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /cannot read the kubeconfig \/nonexistent\/kubeconfig: .*\n {2}→ pass --kubeconfig <file>, or set KUBECONFIG/,
    )
    const json = await runPlugin(['list', '--kubeconfig', '/nonexistent/kubeconfig', '-o', 'json'])
    expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code).toBe(
      'KANARI_INVALID_INPUT',
    )
  })
})
