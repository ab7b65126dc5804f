/** Test helper: a Rollout of the demo app, the manifest the daemon and CLI tests apply. */
import { DEMO_APP } from './processes.js'

export interface DemoRolloutOptions {
  /** The workload's environment (COLOR picks the revision's color). */
  env?: Record<string, string>
  replicas?: number
  /** The canary steps, as a YAML flow sequence. */
  steps?: string
  progressDeadlineSeconds?: number
  /** More of `spec` as YAML (analysis, webhooks…), each line indented by two spaces. */
  extra?: string
}

export function demoRollout(name: string, options: DemoRolloutOptions = {}): string {
  const env = Object.entries(options.env ?? { COLOR: 'blue' })
    .map(([k, v]) => `${k}: "${v}"`)
    .join(', ')
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: ${name} }
spec:
  replicas: ${options.replicas ?? 1}
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { ${env} }
      readiness: { httpGet: /healthz }
  service: { port: 0 }
  strategy:
    canary:
      steps: ${options.steps ?? '[{ setWeight: 30 }, { pause: {} }]'}
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0
${options.progressDeadlineSeconds === undefined ? '' : `  progressDeadlineSeconds: ${options.progressDeadlineSeconds}\n`}${options.extra ?? ''}`
}
