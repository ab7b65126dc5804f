/**
 * Blue-green without a mesh: the preview (the target) comes up beside the active primary; promotion
 * switches the apex Service's selector to the preview's pods, then the primary takes the new
 * template and the apex selects it again, the target scaled to zero.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KUBECONFIG, KUBECTL, kubectlOk, setVersion, waitFor } from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  deploymentOf,
  openScenario,
  rolloutManifest,
  versionOf,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('bluegreen')
})
afterAll(async () => {
  await sc.close()
})

const apexSelects = async (): Promise<string> =>
  kubectlOk(['-n', sc.ns, 'get', 'service', 'web', '-o', 'jsonpath={.spec.selector.app}'])

describe('blue-green by selector switch', () => {
  it('previews the new revision, then switches the apex to it', async () => {
    await applyRollout(
      rolloutManifest(sc.ns, sc.name, {
        strategy: { blueGreen: { autoPromotionEnabled: false, scaleDownDelaySeconds: 0 } },
      }),
    )
    await waitForStatus(sc.ns, sc.name, 'healthy', (s) => s.phase === 'Healthy')
    await waitFor('the apex to select the primary', async () =>
      (await apexSelects()) === 'web-primary' ? true : undefined,
    )
    await setVersion(sc.ns, 'web', '2')
    await waitForStatus(
      sc.ns,
      sc.name,
      'preview waiting for promotion',
      (s) => s.phase === 'Paused' && s.pause === 'WaitingPromotion',
    )
    expect(await apexSelects()).toBe('web-primary')
    expect(versionOf(await deploymentOf(sc.ns, 'web'))).toBe('2')
    expect((await deploymentOf(sc.ns, 'web'))?.status?.readyReplicas).toBe(2)
    // the preview is reachable through its own Service
    expect(
      await kubectlOk([
        '-n',
        sc.ns,
        'get',
        'service',
        'web-canary',
        '-o',
        'jsonpath={.spec.selector.app}',
      ]),
    ).toBe('web')
    // Watch the apex's selector through the switch: a watch sees every change, however brief.
    const watch = spawn(
      KUBECTL,
      [
        '-n',
        sc.ns,
        'get',
        'service',
        'web',
        '--watch',
        '-o',
        'jsonpath={.spec.selector.app}{"\\n"}',
      ],
      { env: { ...process.env, KUBECONFIG }, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const seen: string[] = []
    let buffered = ''
    watch.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const app of lines) if (app !== '' && app !== seen.at(-1)) seen.push(app)
    })
    await waitFor('the watch to start', () => Promise.resolve(seen.length > 0 ? true : undefined))
    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(sc.ns, sc.name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)
    await waitFor('the primary to run revision 2 behind the apex, the target at zero', async () => {
      const primary = await deploymentOf(sc.ns, 'web-primary')
      const target = await deploymentOf(sc.ns, 'web')
      return versionOf(primary) === '2' &&
        primary?.status?.readyReplicas === 2 &&
        (await apexSelects()) === 'web-primary' &&
        target?.spec.replicas === 0
        ? true
        : undefined
    })
    watch.kill()
    // active → preview's pods at the switch → the primary again once it runs revision 2
    expect(seen).toEqual(['web-primary', 'web', 'web-primary'])
  })
})
