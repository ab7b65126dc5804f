/**
 * A process workload's environment: names must be shell names, and PORT (which Kanari sets for each
 * replica) cannot be given — refused by `lint` and `apply` with file:line, and by `set env` up front.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runKanari } from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'kanari-env-'))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('process environment names', () => {
  it('lint reports a bad name and PORT with file:line and path, and lets good names pass', async () => {
    const file = join(dir, 'rollout.yaml')
    writeFileSync(
      file,
      `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: web }
spec:
  workload:
    process:
      command: [node, server.js]
      env:
        COLOR: green
        "BAD KEY": "1"
        PORT: "9000"
  service: { port: 0 }
  strategy:
    canary:
      steps: [{ setWeight: 50 }]
`,
    )
    const res = await runKanari(['lint', '-f', file])
    expect(res.code).toBe(1)
    expect(res.stdout).toContain(
      'rollout.yaml:10 spec.workload.process.env["BAD KEY"]: "BAD KEY" is not an environment variable name: use letters, digits and _, not starting with a digit',
    )
    expect(res.stdout).toContain(
      'rollout.yaml:11 spec.workload.process.env.PORT: PORT is set by Kanari: each replica gets its own free port in PORT',
    )
    expect(res.stdout).not.toContain('COLOR')
    expect(res.stdout).toMatch(/^2 problems$/m)
  })

  it.each([
    ['BAD KEY=1', /rollout web: "BAD KEY" is not an environment variable name/],
    ['1X=1', /rollout web: "1X" is not an environment variable name/],
    ['PORT=9000', /rollout web: PORT is set by Kanari: each replica gets its own free port/],
    ['KANARI_REPLICA_ID=x', /rollout web: KANARI_REPLICA_ID is set by Kanari on every replica/],
  ])('set env %s is refused before any daemon is asked (exit 1)', async (assignment, message) => {
    const res = await runKanari(['set', 'env', 'web', assignment, '--state-dir', join(dir, 'none')])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(message)
    expect(res.stderr).toMatch(/nothing was changed/)
  })
})
