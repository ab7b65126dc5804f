/**
 * `kanari apply` with no daemon running checks its input before starting one: an invalid file, a
 * notification or metric secret it cannot read, or a service port in use is refused with a clear
 * error, and no daemon process and no state directory are left behind.
 */
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { kanariWithEnv } from '../helpers/kanari-cli.js'
import { demoRollout } from '../helpers/manifests.js'

const root = mkdtempSync(join(tmpdir(), 'kanari-preflight-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Processes whose command line names `stateDir` (a daemon started for it would). */
function processesNaming(stateDir: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(stateDir)
      } catch {
        return false
      }
    })
    .map(Number)
}

/** Applies `yaml` with a state directory that does not exist yet; asserts nothing was started. */
async function refusedApply(name: string, yaml: string, env: Record<string, string> = {}) {
  const file = join(root, `${name}.yaml`)
  writeFileSync(file, yaml)
  const stateDir = join(root, `state-${name}`)
  const res = await kanariWithEnv(stateDir, env, 'apply', '-f', file)
  expect(existsSync(stateDir)).toBe(false)
  expect(processesNaming(stateDir)).toEqual([])
  expect(res.stdout).toBe('')
  return res
}

describe('apply checks its input before starting a daemon', () => {
  it('an invalid file: the problems, exit 1, no daemon, no state directory', async () => {
    const res = await refusedApply('invalid', demoRollout('web', { steps: '[{ setWeight: 130 }]' }))
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/problem.* in .*invalid\.yaml/)
    expect(res.stderr).toContain('setWeight')
  })

  it('a notification secret that is not set: names it and the notification, no daemon', async () => {
    const res = await refusedApply(
      'notify',
      demoRollout('web', {
        extra:
          '  notifications:\n    - { provider: slack, urlFrom: { env: KANARI_TEST_UNSET_SLACK_URL } }\n',
      }),
    )
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('rollout web: spec.notifications[0] (slack)')
    expect(res.stderr).toContain('KANARI_TEST_UNSET_SLACK_URL')
  })

  it("a metric provider's token that is not set: names the metric, no daemon", async () => {
    const res = await refusedApply(
      'provider',
      demoRollout('web', {
        extra: [
          '  analysis:',
          '    metrics:',
          '      - name: success',
          '        successCondition: "result >= 1"',
          '        provider:',
          '          prometheus:',
          '            address: http://127.0.0.1:9',
          '            query: up',
          '            auth: { bearer: { env: KANARI_TEST_UNSET_PROM_TOKEN } }',
          '',
        ].join('\n'),
      }),
    )
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('rollout web: metric success:')
    expect(res.stderr).toContain('KANARI_TEST_UNSET_PROM_TOKEN')
  })

  it('a service port another process listens on: exit 4, names the port, no daemon', async () => {
    const taken: Server = createServer()
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => {
        const a = taken.address()
        resolve(typeof a === 'object' && a !== null ? a.port : 0)
      }),
    )
    try {
      const yaml = demoRollout('web').replace('service: { port: 0 }', `service: { port: ${port} }`)
      expect(yaml).toContain(`port: ${port}`)
      const res = await refusedApply('port', yaml)
      expect(res.code).toBe(4)
      expect(res.stderr).toContain(
        `rollout web: spec.service.port ${port} is taken by another program (EADDRINUSE on 127.0.0.1)`,
      )
    } finally {
      await new Promise((r) => taken.close(r))
    }
  })
})
