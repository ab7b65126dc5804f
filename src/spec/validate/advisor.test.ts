/** `spec.analysis.advisor` and `spec.diagnosis`: what lint refuses, and what the plan gets. */
import { describe, expect, it } from 'vitest'
import { checkRolloutSet, planFor } from '../../manifests/rollout-set.js'
import { formatProblem } from '../problems.js'
import type { Rollout } from '../schema.js'

const rollout = (advisor: string, strategy = 'canary: { steps: [{ setWeight: 50 }] }'): string =>
  `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: shop }
spec:
  workload: { process: { command: [node, server.js] } }
  service: { port: 8080 }
  strategy: { ${strategy} }
  diagnosis: { secretEnv: [DB_URL] }
  analysis:
    metrics: [{ name: error-rate, thresholdRange: { max: 1 } }]
    advisor: ${advisor}
`

const problemsOf = (text: string): string[] =>
  checkRolloutSet([{ name: 'r.yaml', text }]).problems.map(formatProblem)

describe('advisor spec', () => {
  it('accepts an endpoint or a model file', () => {
    expect(
      problemsOf(
        rollout('{ url: "http://127.0.0.1:8080/v1", model: qwen, apiKeyEnv: KEY, timeout: 30s }'),
      ),
    ).toEqual([])
    expect(problemsOf(rollout('{ modelFile: models/q.gguf, pauseOnDisagreement: true }'))).toEqual(
      [],
    )
  })

  it('refuses what cannot work, each problem at its path', () => {
    expect(problemsOf(rollout('{ timeout: 5s }'))).toEqual([
      'r.yaml:11 spec.analysis.advisor: needs url (an OpenAI-compatible API, with model) or modelFile (a GGUF file)',
    ])
    expect(
      problemsOf(
        rollout('{ url: "ftp://x", modelFile: a.bin, apiKeyEnv: "1 bad", apiKeyFile: k }'),
      ),
    ).toEqual([
      'r.yaml:11 spec.analysis.advisor: give url or modelFile, not both',
      'r.yaml:11 spec.analysis.advisor.url: must be an http:// or https:// URL (got "ftp://x")',
      'r.yaml:11 spec.analysis.advisor: needs model with url: the model name the endpoint serves',
      'r.yaml:11 spec.analysis.advisor.apiKeyEnv: goes with url, not modelFile',
      'r.yaml:11 spec.analysis.advisor.apiKeyFile: goes with url, not modelFile',
      'r.yaml:11 spec.analysis.advisor.modelFile: must be a .gguf file (got "a.bin")',
      'r.yaml:11 spec.analysis.advisor: give apiKeyEnv or apiKeyFile, not both',
      'r.yaml:11 spec.analysis.advisor.apiKeyEnv: must be an environment variable name (got "1 bad")',
    ])
    expect(
      problemsOf(rollout('{ modelFile: q.gguf, pauseOnDisagreement: true }', 'blueGreen: {}')),
    ).toEqual([
      'r.yaml:11 spec.analysis.advisor.pauseOnDisagreement: only the canary strategy promotes automatically after its steps; blueGreen has no such promotion to pause',
    ])
  })

  it('puts the gate in the plan only when opted in', () => {
    const plan = (advisor: string) => {
      const set = checkRolloutSet([{ name: 'r.yaml', text: rollout(advisor) }])
      expect(set.problems).toEqual([])
      const doc = set.set.rollouts[0]?.doc as Rollout
      return planFor(doc, [], 2)
    }
    expect(plan('{ modelFile: q.gguf }').advisorGate).toBeUndefined()
    expect(plan('{ modelFile: q.gguf, pauseOnDisagreement: true }').advisorGate).toEqual({
      timeoutSeconds: 60,
    })
    expect(
      plan('{ modelFile: q.gguf, pauseOnDisagreement: true, timeout: 2m }').advisorGate,
    ).toEqual({
      timeoutSeconds: 120,
    })
  })
})
