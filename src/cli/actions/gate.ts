/** `kanari gate open|close NAME` and `kanari gate list`, through the daemon. */
import type { GateView } from '../../local/daemon/api/schemas.js'
import { layoutTable } from '../../report/text-table.js'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'

function usedBy(g: GateView): string {
  return g.usedBy.length === 0
    ? 'no webhook of an applied rollout'
    : g.usedBy.map((u) => `${u.rollout}/${u.webhook} (${u.type})`).join(', ')
}

export async function setGate(
  ctx: CliContext,
  name: string,
  verb: 'open' | 'close',
  options: CommonOptions,
): Promise<void> {
  // A gate may be opened before anything that asks it is applied: this may start the daemon.
  const client = await connectDaemon(ctx, options, { creates: true })
  const gate = await client.post<GateView>(`/api/v1/gates/${encodeURIComponent(name)}/${verb}`)
  await printResult(
    ctx,
    options.output,
    gate,
    () => `gate/${gate.name} ${gate.open ? 'opened' : 'closed'}; asked by ${usedBy(gate)}\n`,
  )
}

export async function listGates(ctx: CliContext, options: CommonOptions): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const { items } = await client.get<{ items: GateView[] }>('/api/v1/gates')
  await printResult(ctx, options.output, { items }, () => {
    if (items.length === 0)
      return 'no gates yet (`kanari gate open NAME` opens one; a gate never opened is closed)\n'
    const table = layoutTable(
      ['NAME', 'STATE', 'SINCE', 'ASKED BY'],
      items.map((g) => [
        g.name,
        g.open ? 'open' : 'closed',
        g.updatedAt === null ? 'never opened' : new Date(g.updatedAt).toISOString(),
        usedBy(g),
      ]),
      { width: 120, wrap: [3] },
    )
    return [table.header, ...table.rows.flat()].join('\n') + '\n'
  })
}
