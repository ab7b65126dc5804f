/**
 * The CRDs on the API server: a bad Rollout is refused by the API server itself with a message
 * naming the field, a good one is accepted, status is only written through the subresource, and the
 * printer columns show what `kubectl get rollouts` should.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kubectl, kubectlOk, testNamespace } from './support/kube.js'

let ns: Awaited<ReturnType<typeof testNamespace>>
beforeAll(async () => {
  ns = await testNamespace('crds')
})
afterAll(async () => {
  await ns.delete()
})

const rollout = (name: string, spec: string): string => `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata:
  name: ${name}
spec:
${spec}`

const good = `  workload:
    targetRef: { kind: Deployment, name: web }
  service: { port: 80 }
  strategy:
    canary:
      steps:
        - setWeight: 5
        - pause: {}
`

describe('kanari.dev CRDs on the API server', () => {
  it('accepts a valid Rollout', async () => {
    await kubectlOk(['-n', ns.name, 'apply', '-f', '-'], rollout('good', good))
    const out = await kubectlOk([
      '-n',
      ns.name,
      'get',
      'rollout',
      'good',
      '-o',
      'jsonpath={.spec.strategy.canary.steps[0].setWeight}',
    ])
    expect(out).toBe('5')
  })

  const refused: [string, string, RegExp][] = [
    [
      'a weight over 100',
      good.replace('setWeight: 5', 'setWeight: 150'),
      /spec\.strategy\.canary\.steps\[0\]\.setWeight: Invalid value: 150: spec\.strategy\.canary\.steps\[0\]\.setWeight in body should be less than or equal to 100/,
    ],
    [
      'a step with two actions',
      good.replace('- setWeight: 5', '- { setWeight: 5, pause: {} }'),
      /spec\.strategy\.canary\.steps\[0\]: Invalid value: a step has exactly one of setWeight, pause, analysis/,
    ],
    [
      'no targetRef',
      good.replace(
        'targetRef: { kind: Deployment, name: web }',
        'process: { command: [node, server.js] }',
      ),
      /spec\.workload: Invalid value: spec\.workload\.targetRef must name the Deployment to roll out/,
    ],
    [
      'two strategies',
      good + '    blueGreen: {}\n',
      /spec\.strategy: Invalid value: spec\.strategy needs exactly one of canary, blueGreen or rolling/,
    ],
    ['an unknown field', good + '  replicaz: 3\n', /unknown field "spec\.replicaz"/],
    [
      'a kind other than Deployment',
      good.replace('kind: Deployment', 'kind: StatefulSet'),
      /spec\.workload\.targetRef\.kind: Unsupported value: "StatefulSet": supported values: "Deployment"/,
    ],
  ]
  for (const [what, spec, message] of refused) {
    it(`refuses ${what} with a message that names the field`, async () => {
      const r = await kubectl(['-n', ns.name, 'apply', '-f', '-'], rollout('bad', spec))
      expect(r.code).not.toBe(0)
      expect(r.stderr).toMatch(message)
      const exists = await kubectl(['-n', ns.name, 'get', 'rollout', 'bad'])
      expect(exists.code).not.toBe(0)
    })
  }

  it('keeps status out of the main resource (status subresource)', async () => {
    await kubectlOk([
      '-n',
      ns.name,
      'patch',
      'rollout',
      'good',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Healthy"}}',
    ])
    expect(
      await kubectlOk(['-n', ns.name, 'get', 'rollout', 'good', '-o', 'jsonpath={.status.phase}']),
    ).toBe('')
    await kubectlOk([
      '-n',
      ns.name,
      'patch',
      'rollout',
      'good',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Paused","step":"2/2","failedChecks":1,"traffic":{"canaryWeight":5}}}',
    ])
    const table = await kubectlOk(['-n', ns.name, 'get', 'rollouts'])
    const [header, row] = table.trim().split('\n')
    expect(header?.split(/\s+/)).toEqual(['NAME', 'PHASE', 'STEP', 'WEIGHT', 'FAILED', 'AGE'])
    expect(row?.split(/\s+/).slice(0, 5)).toEqual(['good', 'Paused', '2/2', '5', '1'])
  })
})
