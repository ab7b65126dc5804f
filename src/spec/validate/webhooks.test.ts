/** The webhook rules a schema cannot say: one target each, gates and load runs where they mean something, a moment for each type. */
import { describe, expect, it } from 'vitest'
import { checkRolloutSet, parseRolloutSet, planFor } from '../../manifests/rollout-set.js'

function rollout(strategy: string, webhooks: string): string {
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  workload: { process: { command: [node, server.js] } }
  service: { port: 8080 }
  strategy:
${strategy}
  analysis:
    interval: 5s
    threshold: 3
    metrics: [{ name: error-rate, thresholdRange: { max: 1 } }]
  webhooks:
${webhooks}`
}

const canary = '    canary: { steps: [{ setWeight: 20 }, { pause: {} }] }'
const problemsOf = (text: string): string[] =>
  checkRolloutSet([{ name: 'r.yaml', text }]).problems.map((p) => `${p.path}: ${p.message}`)

describe('webhooks in the spec', () => {
  it('normalises url, gate and loadtest webhooks for the engine', () => {
    const text = rollout(
      canary,
      `    - { name: a, type: confirm-promotion, gate: release-ok }
    - { name: b, type: rollout, loadtest: { path: /color, rate: 20 } }
    - { name: c, type: event, url: "http://127.0.0.1:9/e", timeout: 2s, retries: 3, metadata: { k: v } }`,
    )
    const set = parseRolloutSet([{ name: 'r.yaml', text }])
    const doc = set.rollouts[0]?.doc
    if (doc === undefined) throw new Error('no rollout')
    const plan = planFor(doc, [], 1)
    expect(plan.webhooks).toEqual([
      {
        name: 'a',
        type: 'confirm-promotion',
        target: { kind: 'gate', gate: 'release-ok' },
        timeoutSeconds: 10,
        metadata: {},
        retries: 0,
      },
      {
        name: 'b',
        type: 'rollout',
        target: {
          kind: 'loadtest',
          loadtest: {
            path: '/color',
            method: 'GET',
            headers: {},
            ratePerSecond: 20,
            durationSeconds: 60,
            concurrency: 10,
          },
        },
        timeoutSeconds: 10,
        metadata: {},
        retries: 0,
      },
      {
        name: 'c',
        type: 'event',
        target: { kind: 'url', url: 'http://127.0.0.1:9/e' },
        timeoutSeconds: 2,
        metadata: { k: 'v' },
        retries: 3,
      },
    ])
    expect(plan).toMatchObject({
      webhookIntervalSeconds: 5,
      failedChecksThreshold: 3,
      namespace: 'shop',
    })
    expect(plan.checksum).toMatch(/^[0-9a-f]{10}$/)
  })

  it('refuses each thing it cannot carry out, naming the field and what to do', () => {
    const problems = problemsOf(
      rollout(
        canary,
        `    - { name: none, type: rollout }
    - { name: two, type: rollout, url: "http://x/", gate: g }
    - { name: ftp, type: rollout, url: "ftp://x/" }
    - { name: told, type: event, gate: g }
    - { name: load, type: confirm-promotion, loadtest: { rate: 5 } }
    - { name: far, type: rollout, loadtest: { url: "http://10.0.0.8:8080/" } }
    - { name: long, type: rollout, loadtest: { duration: 2h } }
    - { name: both, type: rollout, loadtest: { url: "http://127.0.0.1:8080/", path: /x } }
    - { name: Bad, type: pre-rollout, gate: "Not_A_Name" }
    - { name: none, type: event, url: "http://127.0.0.1:9/" }`,
      ),
    )
    expect(problems).toEqual(
      expect.arrayContaining([
        'spec.webhooks[0]: needs one of url, gate (a manual gate: `kanari gate open NAME`) or loadtest (a load run the daemon starts)',
        'spec.webhooks[1]: give one of url, gate or loadtest, not url and gate',
        'spec.webhooks[2].url: must be an http:// or https:// URL (got "ftp://x/")',
        'spec.webhooks[3].gate: event webhooks only report, they wait for no answer: give a url, or use the gate with a confirm-*, pre-rollout, rollout or rollback webhook',
        'spec.webhooks[4].loadtest: a load run is started by pre-rollout or rollout webhooks (so the release has traffic while it is judged), not confirm-promotion',
        'spec.webhooks[5].loadtest.url: must be on this machine (127.0.0.0/8, [::1] or localhost): load runs never leave it (got "http://10.0.0.8:8080/")',
        'spec.webhooks[6].loadtest.duration: must be at most 1h: a load run stops by itself (a rollout webhook starts it again each interval)',
        'spec.webhooks[7].loadtest.path: give path only without url (it is a path on the rollout’s service)',
        'spec.webhooks[9].name: a second webhook named "none" (the first is spec.webhooks[0]); each needs its own name',
      ]),
    )
    expect(problems.some((p) => p.startsWith('spec.webhooks[8].gate: must match pattern'))).toBe(
      true,
    )
  })

  it('refuses a type its strategy never asks, rather than never calling it', () => {
    const bg = problemsOf(
      rollout(
        '    blueGreen: {}',
        '    - { name: more, type: confirm-traffic-increase, url: "http://127.0.0.1:9/" }',
      ),
    )
    expect(bg).toEqual([
      'spec.webhooks[0].type: confirm-traffic-increase is never asked here: blueGreen switches all traffic at once: use confirm-promotion',
    ])
    const rolling = problemsOf(
      rollout(
        '    rolling: {}',
        `    - { name: more, type: confirm-traffic-increase, url: "http://127.0.0.1:9/" }
    - { name: ok, type: confirm-promotion, url: "http://127.0.0.1:9/" }`,
      ),
    )
    expect(rolling).toEqual([
      'spec.webhooks[0].type: confirm-traffic-increase is never asked here: a rolling update has no traffic steps: use confirm-rollout',
      'spec.webhooks[1].type: confirm-promotion is never asked here: a rolling update has no promotion step to hold; use confirm-rollout, or the canary or blueGreen strategy',
    ])
    const ab = problemsOf(
      rollout(
        `    canary:
      interval: 10s
      iterations: 5
      match: [{ headerName: x-canary, headerValue: { exact: "1" } }]`,
        '    - { name: more, type: confirm-traffic-increase, url: "http://127.0.0.1:9/" }',
      ),
    )
    expect(ab).toEqual([
      'spec.webhooks[0].type: confirm-traffic-increase is never asked here: A/B testing sends only matching requests to the canary and never raises its weight: use confirm-promotion',
    ])
    // every type has its moment in a canary with steps
    const all = problemsOf(
      rollout(
        canary,
        [
          'confirm-rollout',
          'pre-rollout',
          'rollout',
          'confirm-traffic-increase',
          'confirm-promotion',
          'post-rollout',
          'rollback',
          'event',
        ]
          .map((t) => `    - { name: ${t}, type: ${t}, url: "http://127.0.0.1:9/${t}" }`)
          .join('\n'),
      ),
    )
    expect(all).toEqual([])
  })
})
