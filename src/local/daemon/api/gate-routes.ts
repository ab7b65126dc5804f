/**
 * Manual gates: listed for anyone on this machine, opened and closed with the token, and asked by
 * webhooks at `…/check` — 200 while open, 403 while closed (or never opened), as Flagger's load
 * tester answers `/gate/check`. The check changes nothing, so it needs no token.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { Daemon } from '../daemon.js'
import {
  EmptyBody,
  ERROR_RESPONSES,
  GateCheckResponse,
  GateListResponse,
  GateParams,
  GateView,
} from './schemas.js'

const tags = ['gates']

/** A gate as the API shows it: its state and the webhooks that ask it. */
export function gateView(daemon: Daemon, name: string): GateView {
  const stored = daemon.store.gates.get(name)
  const usedBy = [...daemon.controllers.values()].flatMap((c) =>
    c.plan.webhooks
      .filter((w) => w.target.kind === 'gate' && w.target.gate === name)
      .map((w) => ({ rollout: c.name, webhook: w.name, type: w.type })),
  )
  return { name, open: stored?.open ?? false, updatedAt: stored?.updatedAt ?? null, usedBy }
}

export const gateRoutes: FastifyPluginCallbackTypebox<{ daemon: Daemon }> = (
  app,
  { daemon },
  done,
) => {
  app.get(
    '/api/v1/gates',
    {
      schema: {
        summary: 'every gate opened or closed so far, and those webhooks ask',
        tags,
        response: { 200: GateListResponse, ...ERROR_RESPONSES },
      },
    },
    () => {
      const names = new Set(daemon.store.gates.list().map((g) => g.name))
      for (const c of daemon.controllers.values())
        for (const w of c.plan.webhooks) if (w.target.kind === 'gate') names.add(w.target.gate)
      return { items: [...names].sort().map((n) => gateView(daemon, n)) }
    },
  )

  for (const [verb, open] of [
    ['open', true],
    ['close', false],
  ] as const) {
    app.post(
      `/api/v1/gates/:name/${verb}`,
      {
        schema: {
          summary: `${verb} a gate: webhooks asking it ${open ? 'pass' : 'wait'} from their next call`,
          tags,
          params: GateParams,
          body: EmptyBody,
          response: { 200: GateView, ...ERROR_RESPONSES },
        },
      },
      (req) => {
        daemon.store.gates.set(req.params.name, open)
        return gateView(daemon, req.params.name)
      },
    )
  }

  app.post(
    '/api/v1/gates/:name/check',
    {
      config: { open: true },
      schema: {
        summary:
          'for webhooks: 200 while the gate is open, 403 while closed (no token; the body, a webhook payload, is not read)',
        tags,
        params: GateParams,
        response: { 200: GateCheckResponse, 403: GateCheckResponse, ...ERROR_RESPONSES },
      },
    },
    (req, reply) => {
      const { name } = req.params
      const gate = daemon.store.gates.get(name)
      const open = gate?.open === true
      void reply.code(open ? 200 : 403)
      return {
        gate: name,
        open,
        message: open
          ? `gate ${name} is open`
          : `gate ${name} is ${gate === undefined ? 'not opened yet' : 'closed'} (kanari gate open ${name})`,
      }
    },
  )

  done()
}
