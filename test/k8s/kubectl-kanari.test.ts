/**
 * `kubectl kanari` as a user types it, with kubectl's conventions: `list` (-A), `get` (-o json,
 * --watch), `set image` and `undo` (new revisions of the target, rolled out by the steps), `pause`
 * and `resume`, `lint`, `--context`; errors name what to do.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KUBECONFIG, KUBECTL, kubectlKanari, waitFor } from './support/kube.js'
import {
  applyRollout,
  deploymentOf,
  openScenario,
  rolloutManifest,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('kubectl')
  await applyRollout(
    rolloutManifest(sc.ns, sc.name, {
      strategy: { canary: { steps: [{ setWeight: 25 }, { pause: {} }] } },
    }),
  )
  await waitForStatus(sc.ns, sc.name, 'healthy', (s) => s.phase === 'Healthy')
})
afterAll(async () => {
  await sc.close()
})

const kk = (args: string[]) => kubectlKanari([...args, '-n', sc.ns])
const image = async (name: string): Promise<string | undefined> => {
  const d = await deploymentOf(sc.ns, name)
  return (d?.spec.template.spec?.containers as { image?: string }[] | undefined)?.[0]?.image
}

describe('kubectl kanari', () => {
  it('lists rollouts of a namespace and of all namespaces', async () => {
    const list = await kk(['list'])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^NAME\s+PHASE\s+STEP\s+STABLE\s+CANARY\s+WEIGHT\s+MESSAGE/m)
    expect(list.stdout).toMatch(/^web\s+Healthy\s+—\s+1\s+—\s+0%/m)
    const all = await kubectlKanari(['list', '-A', '-o', 'json'])
    const items = (
      JSON.parse(all.stdout) as { items: { metadata: { namespace: string; name: string } }[] }
    ).items
    expect(items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toContain(`${sc.ns}/web`)
    const get = await kk(['get', 'rollouts'])
    expect(get.stdout).toMatch(/^web\s+Healthy/m)
  })

  it('sets an image (a new revision), shows it, pauses and resumes it, and undoes it', async () => {
    const set = await kk(['set', 'image', 'web', 'app=registry.example/app:2'])
    expect(set.stdout.trim()).toBe(
      'rollout web: Deployment web now app=registry.example/app:2; the controller rolls the new revision out',
    )
    expect(await image('web')).toBe('registry.example/app:2')
    await waitForStatus(
      sc.ns,
      sc.name,
      'revision 2 at 25%',
      (s) => s.phase === 'Paused' && s.canary === 2,
    )
    const get = await kk(['get', 'rollout', 'web'])
    expect(get.stdout).toMatch(/^Phase:\s+Paused \(PauseStep\)$/m)
    expect(get.stdout).toMatch(/^Revisions:\s+stable 1 → canary revision 2 at 25%, step 2\/2$/m)
    expect(get.stdout).toMatch(/^primary\s+web-primary\s+1\s+2\/2$/m)
    expect(get.stdout).toMatch(/^canary \(target\)\s+web\s+2\s+2\/2$/m)
    expect(get.stdout).toMatch(/^Promoted\s+False\s+Paused$/m)

    const resume = await kk(['resume', 'web'])
    expect(resume.code).toBe(0) // resuming a pause step moves on: the pause was the last step
    await waitForStatus(sc.ns, sc.name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)

    const undo = await kk(['undo', 'web'])
    expect(undo.stdout.trim()).toBe(
      "rollout web: Deployment web has revision 1's template again; the controller rolls it out",
    )
    expect(await image('web')).toBe('registry.example/app:1')
    // revision 1's template again is a new revision (3) rolled out by the steps
    await waitForStatus(
      sc.ns,
      sc.name,
      'revision 3 at 25%',
      (s) => s.phase === 'Paused' && s.canary === 3,
    )
    const pause = await kk(['pause', 'web'])
    expect(pause.stdout.trim()).toBe('rollout web: pause accepted')
    const again = await kk(['pause', 'web'])
    expect(again.code).toBe(4)
    expect(again.stdout).toMatch(
      /rollout web: pause refused: cannot pause rollout web: .*it is already paused by a user/,
    )
    const bad = await kk(['undo', 'web', '--to-revision', '9'])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(/has no recorded revision 9\n {2}→ recorded revisions: 1, 2, 3/)
  })

  it('watches a rollout change as it happens', async () => {
    const child = spawn(KUBECTL, ['kanari', 'get', 'web', '--watch', '-n', sc.ns], {
      env: {
        ...process.env,
        KUBECONFIG,
        PATH: `${join(import.meta.dirname, '..', '..', 'bin')}:${process.env.PATH ?? ''}`,
      },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor('the first view', () => (/Phase:\s+Paused/.test(out) ? true : undefined))
    // paused by a user at a pause step: resume (it stays at the step), then promote
    expect((await kk(['resume', 'web'])).code).toBe(0)
    expect((await kk(['promote', 'web'])).code).toBe(0)
    await waitFor('a later view showing the promotion', () =>
      /Phase:\s+Healthy/.test(out) ? true : undefined,
    )
    child.kill('SIGINT')
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
    expect(code).toBe(0)
  })

  it('takes --context and --kubeconfig as kubectl does, and says what to do with a wrong one', async () => {
    const ok = await kk(['list', '--kubeconfig', KUBECONFIG, '--context', 'kanari-test'])
    // a kubeconfig from elsewhere may name its context otherwise
    if (ok.code === 0) expect(ok.stdout).toMatch(/^web\s+/m)
    const wrong = await kk(['list', '--context', 'no-such-context'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(
      /the kubeconfig has no context "no-such-context"\n {2}→ contexts: /,
    )
    const missing = await kk(['get', 'nothing-here'])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(
      new RegExp(
        `rollout nothing-here not found in namespace ${sc.ns}\\n  → kubectl kanari list -A`,
      ),
    )
  })

  it('lints manifests as kanari lint does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanari-lint-'))
    const file = join(dir, 'rollout.yaml')
    writeFileSync(
      file,
      'apiVersion: kanari.dev/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  workload: {targetRef: {kind: Deployment, name: web}}\n  service: {port: 80}\n  strategy: {canary: {steps: [{setWeight: 150}]}}\n',
    )
    const r = await kubectlKanari(['lint', '-f', file])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/rollout\.yaml:7 spec\.strategy\.canary\.steps\[0\]\.setWeight: /)
  })
})
