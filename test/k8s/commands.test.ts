/**
 * Commands as changes to the Rollout, given through `kubectl kanari` as a user types it: abort →
 * retry → promote, with the exact ordered list of event reasons; a refused command exits 4 and
 * says why; the replica-ratio router (no mesh) moves the apex Service's endpoints and selector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kubectlKanari, setVersion, waitFor } from './support/kube.js'
import {
  applyRollout,
  deploymentOf,
  eventReasons,
  openScenario,
  rolloutManifest,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('commands')
})
afterAll(async () => {
  await sc.close()
})

const kk = (args: string[]) => kubectlKanari([...args, '-n', sc.ns])

describe('abort → retry → promote through kubectl kanari', () => {
  it('refuses promote when nothing is being rolled out, exit 4 with the reason', async () => {
    await applyRollout(
      rolloutManifest(sc.ns, sc.name, {
        strategy: {
          canary: {
            steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: {} }],
            abortScaleDownDelaySeconds: 0,
          },
        },
      }),
    )
    await waitForStatus(sc.ns, sc.name, 'healthy on revision 1', (s) => s.phase === 'Healthy')
    const r = await kk(['promote', 'web'])
    expect(r.code).toBe(4)
    expect(r.stdout).toMatch(
      /rollout web: promote refused: cannot promote rollout web: it is Healthy/,
    )
  })

  it('aborts, retries and promotes, recording each step in order', async () => {
    await setVersion(sc.ns, 'web', '2')
    await waitForStatus(
      sc.ns,
      sc.name,
      'paused at 20%',
      (s) => s.phase === 'Paused' && s.weight === 20,
    )
    const abort = await kk(['abort', 'web', '--reason', 'looks wrong'])
    expect(abort.stdout.trim()).toBe('rollout web: abort accepted')
    expect(abort.code).toBe(0)
    await waitForStatus(
      sc.ns,
      sc.name,
      'rolled back',
      (s) => s.phase === 'RolledBack' && s.weight === 0,
    )
    await waitFor('the canary (target) scaled to zero', async () =>
      (await deploymentOf(sc.ns, 'web'))?.spec.replicas === 0 ? true : undefined,
    )
    const retry = await kk(['retry', 'web'])
    expect(retry.stdout.trim()).toBe('rollout web: retry accepted')
    await waitForStatus(
      sc.ns,
      sc.name,
      'paused at 20% again',
      (s) => s.phase === 'Paused' && s.weight === 20,
    )
    expect((await kk(['promote', 'web'])).code).toBe(0)
    await waitForStatus(
      sc.ns,
      sc.name,
      'paused at 60%',
      (s) => s.phase === 'Paused' && s.weight === 60,
    )
    expect((await kk(['promote', 'web'])).code).toBe(0)
    await waitForStatus(sc.ns, sc.name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)
    const reasons = await eventReasons(sc.ns, sc.name)
    expect(reasons.slice(reasons.lastIndexOf('NewRevision'))).toEqual([
      'NewRevision',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
      'Command',
      'TrafficShifted',
      'RolledBack',
      'Command',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
      'Command',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
      'Command',
      'Promoted',
    ])
    const get = await kk(['get', 'web', '-o', 'json'])
    const status = (JSON.parse(get.stdout) as { status: { phase: string; stableRevision: number } })
      .status
    expect(status).toMatchObject({ phase: 'Healthy', stableRevision: 2 })
  })
})
