/**
 * The `job` metric provider: each measurement runs a Kubernetes Job in the rollout's namespace — one
 * container, the metric's image and command, no retries — and answers 1 when it succeeds, 0 when it
 * fails. A Job that finishes neither way in time is deleted and the measurement is an error; so is
 * one that cannot be created. Never a value it did not see.
 */
import { createHash } from 'node:crypto'
import type { Measurement, MeasurementRequest } from '../../analysis/types.js'
import type { MeasureContext, MetricProvider } from '../../controller/ports.js'
import type { KubeApi } from '../kit/api.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'

type JobPlan = Extract<MeasurementRequest['provider'], { kind: 'job' }>

type Job = KubeObject & {
  status?: {
    succeeded?: number
    failed?: number
    conditions?: { type: string; status: string; reason?: string; message?: string }[]
  }
}

export const DEFAULT_JOB_TIMEOUT_SECONDS = 300
export const LABEL_RUN = 'kanari.dev/analysis-run'

/** A DNS-1123 name for the measurement's Job: readable prefix, unique suffix. */
export function jobName(request: MeasurementRequest): string {
  const readable = `kanari-${request.metric}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 40)
    .replace(/-+$/, '')
  const unique = createHash('sha256')
    .update(`${request.runId}/${request.metric}/${request.from}/${request.to}`)
    .digest('hex')
    .slice(0, 10)
  return `${readable}-${unique}`
}

export class JobMetricProvider implements MetricProvider {
  constructor(
    private readonly client: KubeApi,
    private readonly options: { pollMs?: number } = {},
  ) {}

  async measure(request: MeasurementRequest, context: MeasureContext): Promise<Measurement> {
    const plan = request.provider as JobPlan
    const name = jobName(request)
    const at = (): number => Math.max(context.now, Date.now())
    const fail = (error: string): Measurement => ({ metric: request.metric, at: at(), error })
    try {
      await this.client.create<Job>(RESOURCES.jobs, plan.namespace, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          namespace: plan.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'kanari', [LABEL_RUN]: request.runId },
        },
        spec: {
          backoffLimit: 0,
          ttlSecondsAfterFinished: 600,
          template: {
            metadata: { labels: { [LABEL_RUN]: request.runId } },
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'check', image: plan.image, command: plan.command }],
            },
          },
        },
      })
    } catch (err) {
      // The same measurement asked again (a controller restarted mid-run) finds its Job there.
      if (!(err instanceof Error && / 409 /.test(err.message)))
        return fail(`job ${plan.namespace}/${name} could not be created: ${String(err)}`)
    }
    const timeout = (plan.timeoutSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS) * 1000
    const end = Date.now() + timeout
    while (Date.now() < end) {
      const job = await this.client.find<Job>(RESOURCES.jobs, plan.namespace, name)
      if (job === undefined)
        return fail(`job ${plan.namespace}/${name} disappeared before it finished`)
      const done = job.status?.conditions?.find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      )
      if (done?.type === 'Complete') return { metric: request.metric, at: at(), value: 1 }
      if (done?.type === 'Failed') return { metric: request.metric, at: at(), value: 0 }
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 1000))
    }
    await this.client.delete(RESOURCES.jobs, plan.namespace, name).catch(() => false)
    return fail(
      `job ${plan.namespace}/${name} did not finish within ${Math.round(timeout / 1000)}s; deleted`,
    )
  }
}
