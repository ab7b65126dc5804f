/** The import's bookkeeping: nothing of the input leaves without a line saying so. */
import { describe, expect, it } from 'vitest'
import { loadDocuments } from '../spec/load.js'
import { NO_EQUIVALENT, Source } from './source.js'

function source(text: string): Source {
  const doc = loadDocuments(text, 'in.yaml').documents[0]
  if (doc === undefined) throw new Error('no document')
  return new Source(doc, 'Rollout/x')
}

const TEXT = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
spec:
  replicas: 2
  strategy:
    canary:
      steps:
        - setWeight: 10
        - experiment: { duration: 5m }
      futureField: { a: 1, b: [2, 3] }
  selector: { matchLabels: { app: x } }
`

describe('Source', () => {
  it('reports what was neither taken nor dropped, at the highest untouched level, in document order', () => {
    const s = source(TEXT)
    s.take(['apiVersion'])
    s.take(['kind'])
    s.take(['spec', 'replicas'])
    s.take(['spec', 'strategy', 'canary', 'steps', 0, 'setWeight'])
    s.drop(['spec', 'selector'], 'the Deployment selects the pods')
    expect(s.notCarried()).toEqual([
      {
        file: 'in.yaml',
        line: 9,
        object: 'Rollout/x',
        path: 'spec.strategy.canary.steps[1]',
        reason: NO_EQUIVALENT,
      },
      {
        file: 'in.yaml',
        line: 10,
        object: 'Rollout/x',
        path: 'spec.strategy.canary.futureField',
        reason: NO_EQUIVALENT,
      },
      {
        file: 'in.yaml',
        line: 11,
        object: 'Rollout/x',
        path: 'spec.selector',
        reason: 'the Deployment selects the pods',
      },
    ])
  })

  it('never reports a part that was carried over, even if dropped afterwards', () => {
    const s = source(TEXT)
    for (const k of ['apiVersion', 'kind', 'spec']) s.take([k])
    s.drop(['spec', 'selector'], 'too late: spec was carried over whole')
    expect(s.notCarried()).toEqual([])
  })

  it('drops nothing that is not there', () => {
    const s = source(TEXT)
    s.take([])
    s.drop(['spec', 'nothing'], 'absent')
    expect(s.notCarried()).toEqual([])
  })
})
