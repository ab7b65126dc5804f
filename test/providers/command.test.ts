/**
 * The command provider against the MetricProvider contract with real programs: a value on the last
 * line, nothing, NaN, a program that fails or does not exist, one that hangs (killed with its whole
 * process group), output that is not a number, and several numbers where one was wanted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { MetricPlan } from '../../src/analysis/types.js'
import { runMetricProviderContract } from '../../src/controller/test-utils/metric-provider-contract.js'
import { errorRateMetric } from '../../src/engine/test-utils/plans.js'
import { Tick } from '../../src/engine/tick.js'
import { isAlive } from '../../src/local/process-alive.js'
import { CommandProvider } from '../../src/providers/command.js'
import { waitFor } from '../helpers/processes.js'

const dir = mkdtempSync(join(tmpdir(), 'kanari-command-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function metric(command: string[], timeoutSeconds?: number): MetricPlan {
  return errorRateMetric({
    name: 'checkout-errors',
    provider: {
      kind: 'command',
      command,
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    },
  })
}

const SCRIPTS: Record<string, string[]> = {
  data: ['sh', '-c', 'echo "checking the canary" >&2; echo "warming up"; echo 0.4'],
  'no-data': ['sh', '-c', 'exit 0'],
  nan: ['sh', '-c', 'echo NaN'],
  failure: ['sh', '-c', 'echo "connection to the orders database refused" >&2; exit 3'],
  // The shell starts a child that would outlive it if only the shell were killed.
  timeout: ['sh', '-c', `sleep 60 & echo $! > ${join(dir, 'sleeper.pid')}; wait`],
  malformed: ['sh', '-c', 'echo "error rate: low"'],
  vector: ['sh', '-c', 'echo 0.1 0.2 0.3'],
}

runMetricProviderContract(
  'command (real processes)',
  () => {
    const provider = new CommandProvider({ cwd: () => dir })
    return Promise.resolve({
      provider,
      arrange(scenario) {
        const m = metric(SCRIPTS[scenario] ?? [], scenario === 'timeout' ? 1 : 10)
        const now = Date.now()
        return Promise.resolve({
          metric: m,
          request: {
            runId: 'contract',
            metric: m.name,
            provider: m.provider,
            from: now - 10_000,
            to: now,
          },
          context: { traffic: Tick.stableOnly(1, 2), now },
        })
      },
      close: () => Promise.resolve(),
    })
  },
  ['timeout', 'malformed', 'vector'],
)

describe('command provider', () => {
  const context = { traffic: { ...Tick.stableOnly(1, 2), canaryWeight: 20 }, now: Date.now() }

  it('kills the whole process group at the timeout: nothing it started keeps running', async () => {
    const m = metric(SCRIPTS.timeout ?? [], 1)
    const started = Date.now()
    const answer = await new CommandProvider({ cwd: () => dir }).measure(
      { runId: 'r', metric: m.name, provider: m.provider, from: 0, to: Date.now() },
      context,
    )
    expect(answer.error).toMatch(/did not finish within 1s and was killed/)
    expect(Date.now() - started).toBeLessThan(10_000)
    const pid = Number(readFileSync(join(dir, 'sleeper.pid'), 'utf8'))
    await waitFor(() => !isAlive(pid), `sleep ${pid} to be gone`, 5000)
  })

  it('tells the program which version it measures, in variables and its environment', async () => {
    writeFileSync(
      join(dir, 'probe.sh'),
      'echo "$1 $KANARI_ROLE $KANARI_REVISION $KANARI_CANARY_WEIGHT $KANARI_ROLLOUT" > seen.txt\necho 0\n',
      { mode: 0o755 },
    )
    const m = metric(['./probe.sh', 'rev-{{ revision }}-{{ role }}'])
    const answer = await new CommandProvider({
      cwd: () => dir,
      env: { KANARI_ROLLOUT: 'shop' },
    }).measure(
      { runId: 'r', metric: m.name, provider: m.provider, from: 0, to: Date.now() },
      context,
    )
    expect(answer).toMatchObject({ value: 0 })
    expect(readFileSync(join(dir, 'seen.txt'), 'utf8').trim()).toBe('rev-2-canary canary 2 20 shop')
  })

  it('names a program that cannot be run, and where relative paths start', async () => {
    const m = metric(['./no-such-check.sh'])
    const answer = await new CommandProvider({ cwd: () => dir }).measure(
      { runId: 'r', metric: m.name, provider: m.provider, from: 0, to: Date.now() },
      context,
    )
    expect(answer.error).toBe(
      `cannot run "./no-such-check.sh": not found (relative paths start from ${dir}) (ENOENT)`,
    )
  })

  it('quotes the last words of stderr when the program fails', async () => {
    const m = metric(SCRIPTS.failure ?? [])
    const answer = await new CommandProvider().measure(
      { runId: 'r', metric: m.name, provider: m.provider, from: 0, to: Date.now() },
      context,
    )
    expect(answer.error).toMatch(/exited with code 3: connection to the orders database refused$/)
  })
})
