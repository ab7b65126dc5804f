/**
 * The shared runner wired to one local rollout's ports: what it releases through (release-ports.ts),
 * the metric providers, status and events in SQLite, the sinks its events go to, and webhooks as
 * local mode makes them (HTTP, gates, load runs).
 */
import type { EventSink, PromotionReviewer } from '../../controller/ports.js'
import { RolloutRunner } from '../../controller/runner.js'
import type { RolloutPlan } from '../../engine/plan.js'
import type { RolloutStatus } from '../../engine/status.js'
import { externalMetricProviders } from '../../providers/index.js'
import { HttpWebhookCaller } from '../../webhooks/http-caller.js'
import { LocalWebhookCaller } from '../driver/local-webhook-caller.js'
import { LogSink } from '../driver/log-sink.js'
import type { LoadtestRuns } from '../load/loadtest-runs.js'
import { SqliteRolloutStore, type StateStore } from '../store/index.js'
import type { ReleasePorts } from './release-ports.js'

export interface LocalRunnerOptions {
  name: string
  plan: RolloutPlan
  status: RolloutStatus
  release: ReleasePorts
  store: StateStore
  log: (line: string) => void
  /** Sinks after the daemon log, in order. */
  sinks: EventSink[]
  reviewer: PromotionReviewer
  /** Load runs that load-test webhooks start. */
  loadtests: LoadtestRuns
  /** Where command metrics run. */
  workingDirectory: () => string | undefined
  /** The rollout's service, which load runs send their requests to. */
  serviceUrl: () => string
}

export function localRunner(options: LocalRunnerOptions): RolloutRunner {
  const { name, store, log, release } = options
  return new RolloutRunner(
    {
      workloads: release.workloads,
      router: release.router,
      metrics: {
        builtin: release.builtin,
        ...externalMetricProviders({
          command: { cwd: options.workingDirectory, env: { KANARI_ROLLOUT: name } },
        }),
      },
      store: new SqliteRolloutStore(store),
      sinks: [new LogSink(log), ...options.sinks],
      reviewer: options.reviewer,
      webhooks: new LocalWebhookCaller({
        http: new HttpWebhookCaller(),
        gate: (gate) => store.gates.get(gate),
        loadtests: options.loadtests,
        serviceUrl: options.serviceUrl,
      }),
    },
    {
      name,
      plan: options.plan,
      status: options.status,
      measurements: 'background',
      driver: 'local mode',
      onActionError: (action, err) =>
        log(
          `rollout ${name}: ${action.type} failed: ${err instanceof Error ? err.message : String(err)}`,
        ),
    },
  )
}
