/**
 * Webhook calls in local mode: URLs over HTTP; a `gate` answered from the daemon's own store (open:
 * 200, closed or never opened: 403); a `loadtest` started by the daemon (202 once started, or
 * while the same run goes on), aimed at the rollout's own proxy unless the webhook names a URL.
 */
import type { WebhookCaller } from '../../controller/ports.js'
import type { LoadtestPlan } from '../../engine/plan.js'
import type { WebhookAnswer, WebhookCall } from '../../engine/webhook-types.js'
import { KanariError } from '../../errors.js'
import type { LoadtestRuns } from '../load/loadtest-runs.js'
import { requestProblems, type LoadtestRequest } from '../load/loadtest-request.js'

export interface LocalWebhookDeps {
  http: WebhookCaller
  /** Whether a gate is open; undefined for one never opened or closed. */
  gate: (name: string) => { open: boolean } | undefined
  loadtests: LoadtestRuns
  /** The rollout's service as the proxy serves it now: `http://127.0.0.1:<port>`. */
  serviceUrl: () => string
}

export class LocalWebhookCaller implements WebhookCaller {
  constructor(private readonly deps: LocalWebhookDeps) {}

  call(call: WebhookCall): Promise<WebhookAnswer> {
    const target = call.webhook.target
    switch (target.kind) {
      case 'url':
        return this.deps.http.call(call)
      case 'gate':
        return Promise.resolve(this.#gate(target.gate))
      case 'loadtest':
        return Promise.resolve(
          this.#loadtest(`${call.payload.name}.${call.payload.namespace}`, target.loadtest),
        )
    }
  }

  #gate(name: string): WebhookAnswer {
    const gate = this.deps.gate(name)
    if (gate?.open === true)
      return { ok: true, httpStatus: 200, attempts: 1, explanation: `gate ${name} is open` }
    return {
      ok: false,
      httpStatus: 403,
      attempts: 1,
      explanation: `gate ${name} is ${gate === undefined ? 'not opened yet' : 'closed'} (\`kanari gate open ${name}\` opens it)`,
    }
  }

  #loadtest(owner: string, plan: LoadtestPlan): WebhookAnswer {
    const request: LoadtestRequest = {
      url: plan.url ?? `${this.deps.serviceUrl()}${plan.path}`,
      method: plan.method,
      headers: plan.headers,
      ...(plan.body === undefined ? {} : { body: plan.body }),
      ratePerSecond: plan.ratePerSecond,
      durationSeconds: plan.durationSeconds,
      concurrency: plan.concurrency,
    }
    const problems = requestProblems(request, false)
    if (problems.length > 0)
      return {
        ok: false,
        httpStatus: 400,
        attempts: 1,
        explanation: `the load test cannot start: ${problems.join('; ')}`,
      }
    try {
      const { run, started } = this.deps.loadtests.start(owner, request)
      const what = `${request.ratePerSecond}/s for ${request.durationSeconds}s to ${request.url}`
      return {
        ok: true,
        httpStatus: 202,
        attempts: 1,
        explanation: started
          ? `load test ${run.id} started: ${what}`
          : `load test ${run.id} running: ${what} (${run.sent} sent)`,
      }
    } catch (err) {
      return {
        ok: false,
        httpStatus: err instanceof KanariError ? err.httpStatus : 500,
        attempts: 1,
        explanation: `the load test cannot start: ${err instanceof Error ? err.message : String(err)}`,
      }
    }
  }
}
