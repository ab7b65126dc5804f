/**
 * The engine's analysis runs, mirrored as AnalysisRun objects (`kubectl get analysisruns`): one per
 * run, named after its rollout and run id, owned by the Rollout, its status the run's phase,
 * message and per-metric measurements. Written only when a run changed.
 */
import type { AnalysisRunStatus } from '../../analysis/types.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { RESOURCES } from '../kit/types.js'
import { LABEL_ROLLOUT, ownerRef } from '../workloads/deployment-workloads.js'
import type { RolloutHandle } from './rollout-handle.js'

/** A DNS-1123 name for a run: `<rollout>-<run id>`, lower case, other characters as dashes. */
export function analysisRunName(rollout: string, runId: string): string {
  return `${rollout}-${runId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253)
}

export async function mirrorAnalysisRuns(
  client: KubeApi,
  handle: RolloutHandle,
  status: RolloutStatus,
): Promise<void> {
  const runs = [status.analyses.background, status.analyses.step].filter(
    (r): r is AnalysisRunStatus => r !== null,
  )
  const { namespace, rollout } = handle.names
  for (const run of runs) {
    const name = analysisRunName(rollout.name, run.id)
    const text = JSON.stringify(run)
    if (handle.analysisRuns.get(name) === text) continue
    const metadata = {
      name,
      namespace,
      labels: { [LABEL_ROLLOUT]: rollout.name },
      ownerReferences: [ownerRef(rollout)],
    }
    if (!handle.analysisRuns.has(name))
      await client.apply(RESOURCES.analysisRuns, namespace, {
        apiVersion: 'kanari.dev/v1alpha1',
        kind: 'AnalysisRun',
        metadata,
        spec: {
          rollout: rollout.name,
          runId: run.id,
          kind: run.kind,
          revision: run.revision,
          ...(run.stepIndex === null ? {} : { stepIndex: run.stepIndex }),
          judge: run.judge,
          metrics: run.metrics.map((m) => m.name),
        },
      })
    await client.apply(
      RESOURCES.analysisRuns,
      namespace,
      {
        apiVersion: 'kanari.dev/v1alpha1',
        kind: 'AnalysisRun',
        metadata: { name, namespace },
        status: { ...run },
      },
      { subresource: 'status' },
    )
    handle.analysisRuns.set(name, text)
  }
}
