/** `kanari controller` and `kanari crds`. */
import { kanariCrds } from '../../kubernetes/crds/definitions.js'
import { kubernetesMetricProviders } from '../../kubernetes/metrics.js'
import { KanariController } from '../../kubernetes/controller/controller.js'
import type { CliContext } from '../context.js'
import type { ControllerCliOptions } from '../commands/kubernetes.js'

export async function runController(ctx: CliContext, o: ControllerCliOptions): Promise<void> {
  const log = (line: string): void => {
    const at = new Date().toISOString()
    ctx.io.stderr.write(
      o.output === 'json' ? JSON.stringify({ at, message: line }) + '\n' : `${at} ${line}\n`,
    )
  }
  const controller = await KanariController.start({
    ...(o.kubeconfig === undefined ? {} : { kubeconfig: o.kubeconfig }),
    ...(o.context === undefined ? {} : { context: o.context }),
    ...(o.namespace === undefined ? {} : { watchNamespace: o.namespace }),
    metricsAddress: o.metricsAddress,
    leaderElection: {
      enabled: o.leaderElect,
      namespace: o.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? 'kanari-system',
      name: o.leaderElectionId,
      leaseDurationSeconds: o.leaseDuration,
      renewDeadlineSeconds: o.renewDeadline,
      retryPeriodSeconds: o.retryPeriod,
    },
    tickSeconds: o.tick,
    resyncSeconds: o.resync,
    workers: o.workers,
    metrics: kubernetesMetricProviders,
    log,
  })
  const stop = (): void => {
    log('stopping')
    void controller.stop()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  const reason = await controller.done
  log(`stopped (${reason})`)
  // A leader that lost its lease exits non-zero, so its pod restarts as a fresh standby.
  if (reason === 'lost leadership') ctx.exitCode = 1
}

export async function printCrds(ctx: CliContext, o: { output: 'yaml' | 'json' }): Promise<void> {
  const crds = kanariCrds()
  if (o.output === 'json') {
    ctx.io.stdout.write(
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }, null, 2) + '\n',
    )
    return
  }
  ctx.io.stdout.write((await import('../../kubernetes/crds/yaml.js')).crdsYaml())
}
