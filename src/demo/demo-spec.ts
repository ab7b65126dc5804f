/**
 * The demo's Rollout: the demo app behind Kanari's proxy, released 5% → 25% → 50% → 100% with a
 * sequential analysis at each step. Each release only changes the app's environment (its color and
 * its fault), which is what makes it a new revision.
 */
import { fileURLToPath } from 'node:url'

export interface DemoRelease {
  version: string
  color: string
  /** Extra environment: the fault this version carries. */
  env: Record<string, string>
  expect: { outcome: 'Promoted' | 'RolledBack'; atWeight?: number }
  story: string
}

export const DEMO_RELEASES: DemoRelease[] = [
  {
    version: 'v2',
    color: 'green',
    env: {},
    expect: { outcome: 'Promoted' },
    story: 'a healthy release',
  },
  {
    version: 'v3',
    color: 'red',
    env: { ERROR_RATE: '15' },
    expect: { outcome: 'RolledBack', atWeight: 5 },
    story: '15% of its requests fail',
  },
  {
    version: 'v4',
    color: 'yellow',
    env: { CAPACITY_RPS: '14', OVERLOAD_LATENCY_MS: '250' },
    expect: { outcome: 'RolledBack', atWeight: 50 },
    story: 'it overloads once its share of traffic grows (fails only at scale)',
  },
]

export function demoAppPath(): string {
  return fileURLToPath(new URL('../../demo-app/server.js', import.meta.url))
}

/** How long the demo lets a local model take to explain a rollback (a 0.5B model: about 12 s). */
export const DEMO_ADVISOR_TIMEOUT_SECONDS = 180

export function demoRollout(options: {
  port: number
  color: string
  version: string
  env: Record<string, string>
  /** A GGUF model file: the advisor explains each rollback (it never decides). */
  advisorModelFile?: string
  advisorTimeoutSeconds?: number
}): Record<string, unknown> {
  return {
    apiVersion: 'kanari.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'demo' },
    spec: {
      replicas: 3,
      workload: {
        process: {
          command: [process.execPath, demoAppPath()],
          env: { COLOR: options.color, VERSION: options.version, LATENCY_MS: '5', ...options.env },
          readiness: { httpGet: '/healthz' },
        },
      },
      service: { port: options.port },
      strategy: {
        canary: {
          steps: [
            { setWeight: 5 },
            // 5% of the load is ~6 requests/s: 15s gives a 15%-failing version enough requests to
            // be caught here every time (8s let 1 run in 18 slip through to 25%, by simulation).
            { analysis: { duration: '15s' } },
            { setWeight: 25 },
            { analysis: { duration: '8s' } },
            { setWeight: 50 },
            { analysis: { duration: '8s' } },
          ],
          abortScaleDownDelaySeconds: 0,
          scaleDownDelaySeconds: 0,
        },
      },
      analysis: {
        interval: '4s',
        judge: 'sequential',
        alpha: 0.05,
        minCanaryRequests: 30,
        metrics: [
          { name: 'error-rate', thresholdRange: { max: 2 } },
          { name: 'latency-p99', thresholdRange: { max: 200 } },
        ],
        ...(options.advisorModelFile === undefined
          ? {}
          : {
              advisor: {
                modelFile: options.advisorModelFile,
                timeout: `${options.advisorTimeoutSeconds ?? DEMO_ADVISOR_TIMEOUT_SECONDS}s`,
              },
            }),
      },
      progressDeadlineSeconds: 60,
    },
  }
}
