/** Notifications in the spec: the webhook URL only by where it is read, and the plan's defaults. */
import { describe, expect, it } from 'vitest'
import { checkRolloutSet, parseRolloutSet, planFor } from '../../manifests/rollout-set.js'
import { formatProblem } from '../problems.js'

const rollout = (notifications: string) => `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: checkout }
spec:
  workload: { process: { command: [node, server.js] } }
  service: { port: 0 }
  strategy: { canary: { steps: [{ setWeight: 5 }] } }
  notifications:
${notifications}`

const problemsOf = (text: string) =>
  checkRolloutSet([{ name: 'r.yaml', text }]).problems.map(formatProblem)

describe('spec.notifications', () => {
  it('refuses a URL written in the spec, saying why and what to write', () => {
    expect(
      problemsOf(
        rollout('    - { provider: slack, url: "https://hooks.slack.com/services/T/B/x" }\n'),
      ),
    ).toEqual([
      'r.yaml:9 spec.notifications[0].urlFrom: is required',
      'r.yaml:9 spec.notifications[0].url: a webhook URL is a secret and does not belong in a spec: put it in an environment variable of the daemon or in a file, and write urlFrom: { env: NAME } or urlFrom: { file: PATH }',
    ])
  })

  it('needs exactly one place to read the URL from, a valid variable name, and unique names', () => {
    expect(
      problemsOf(
        rollout(`    - { provider: slack, urlFrom: {} }
    - { provider: discord, urlFrom: { env: A, file: b } }
    - { provider: webhook, urlFrom: { env: 9LIVES }, timeout: soon }
    - { provider: msteams, urlFrom: { env: TEAMS } }
    - { provider: msteams, urlFrom: { env: TEAMS_2 } }
    - { name: audit, provider: webhook, urlFrom: { file: a } }
    - { name: audit, provider: slack, urlFrom: { file: b }, events: [Promoted, Deployed] }
`),
      ),
    ).toEqual([
      'r.yaml:15 spec.notifications[6].events[1]: must be one of NewRevision, Reverted, Initialized, ProgressDeadlineExceeded, WorkloadProblem, TrafficShifted, StepCompleted, Paused, PreviewReady, AnalysisStarted, AnalysisSuccessful, AnalysisFailed, AnalysisError, AnalysisInconclusive, RolledBack, Promoted, Command, PromotionReviewed, WebhookAnswered, MonitoringUnavailable, MonitoringRestored (got "Deployed")',
      'r.yaml:9 spec.notifications[0].urlFrom: needs one of env (an environment variable of the daemon) or file, holding the webhook URL',
      'r.yaml:10 spec.notifications[1].urlFrom: give one of env or file, not both',
      'r.yaml:11 spec.notifications[2].urlFrom.env: "9LIVES" is not an environment variable name: use letters, digits and _, not starting with a digit',
      'r.yaml:11 spec.notifications[2].timeout: must be a duration like "30s", "5m", "1h" or a number of seconds (got "soon")',
      'r.yaml:13 spec.notifications[4]: a second notification named "msteams" (the first is notifications[3]); give each a name',
    ])
  })

  it('fills the plan: the name, the URL as where to read it, the filter and the limits', () => {
    const set = parseRolloutSet([
      {
        name: 'r.yaml',
        text: rollout(`    - { provider: slack, urlFrom: { env: SLACK_URL } }
    - { name: audit, provider: webhook, urlFrom: { file: hook-url }, severity: warn, events: [RolledBack], timeout: 2s, retries: 0 }
`),
      },
    ])
    const doc = set.rollouts[0]?.doc
    if (doc === undefined) throw new Error('no rollout')
    expect(planFor(doc, [], 1).notifications).toEqual([
      {
        name: 'slack',
        provider: 'slack',
        urlFrom: { env: 'SLACK_URL' },
        severity: 'info',
        events: [
          'NewRevision',
          'Reverted',
          'Initialized',
          'ProgressDeadlineExceeded',
          'WorkloadProblem',
          'Paused',
          'PreviewReady',
          'AnalysisInconclusive',
          'RolledBack',
          'Promoted',
          'Command',
          'MonitoringUnavailable',
          'MonitoringRestored',
        ],
        timeoutSeconds: 10,
        retries: 3,
      },
      {
        name: 'audit',
        provider: 'webhook',
        urlFrom: { file: 'hook-url' },
        severity: 'warn',
        events: ['RolledBack'],
        timeoutSeconds: 2,
        retries: 0,
      },
    ])
  })
})
