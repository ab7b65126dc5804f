/**
 * The commands that work on rollouts through the local daemon: apply, get, list, promote, abort,
 * retry, undo, pause, resume, set env, logs, delete.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { InputError } from '../../errors.js'
import type { RolloutView } from '../../local/daemon/api/schemas.js'
import { renderTable } from '../../report/text-table.js'
import { printResult, type CliContext } from '../context.js'
import { filenameOption, readManifestFiles } from '../manifest-files.js'
import { renderRolloutView } from '../render/rollout-view.js'
import { daemonClient, withCommon, type CommonOptions } from './common.js'

interface ApplyResult {
  results: { name: string; revision: number; result: string }[]
}

const KINDS = new Set(['rollout', 'rollouts', 'ro'])

export function registerRolloutCommands(program: Command, ctx: CliContext): void {
  filenameOption(
    withCommon(
      program
        .command('apply')
        .description(
          'create or update rollouts from YAML files; a changed workload starts a new revision',
        ),
    ),
    'Rollout (and AnalysisTemplate) manifests',
  ).action(async (options: CommonOptions & { filename: string[] }) => {
    const files = readManifestFiles(options.filename)
    const client = await daemonClient(options, true)
    const res = await client.put<ApplyResult>('/api/v1/rollouts', {
      files,
      baseDir: resolve('.'),
    })
    printResult(ctx, options.output, res, () =>
      res.results.map((r) => `rollout/${r.name} ${r.result} (revision ${r.revision})\n`).join(''),
    )
  })

  withCommon(
    program
      .command('get')
      .description('show a rollout: steps, weights, replicas per version, analysis, events')
      .argument('<kindOrName>', '"rollout" then a name, or just the name')
      .argument('[name]'),
  )
    .option('-w, --watch', 'keep showing the rollout as it changes (Ctrl-C to stop)')
    .option('--interval <seconds>', 'refresh interval with --watch', (v) => Number(v), 1)
    .action(
      async (
        kindOrName: string,
        maybeName: string | undefined,
        options: CommonOptions & { watch?: boolean; interval: number },
      ) => {
        let name = kindOrName
        if (maybeName !== undefined) {
          if (!KINDS.has(kindOrName))
            throw new InputError(`unknown kind "${kindOrName}"`, {
              hint: 'use `kanari get rollout NAME`',
            })
          name = maybeName
        }
        const client = await daemonClient(options)
        const path = `/api/v1/rollouts/${encodeURIComponent(name)}`
        if (options.watch !== true) {
          const view = await client.get<RolloutView>(path)
          printResult(ctx, options.output, view, () => renderRolloutView(view))
          return
        }
        await watch(ctx, options, () => client.get<RolloutView>(path))
      },
    )

  withCommon(program.command('list').alias('ls').description('list rollouts')).action(
    async (options: CommonOptions) => {
      const client = await daemonClient(options)
      const res = await client.get<{
        items: {
          name: string
          phase: string
          stableRevision: number | null
          canaryRevision: number | null
          canaryWeight: number
          serviceUrl: string
          message: string
        }[]
      }>('/api/v1/rollouts')
      printResult(ctx, options.output, res, () =>
        res.items.length === 0
          ? 'no rollouts (apply one with `kanari apply -f rollout.yaml`)\n'
          : renderTable(
              ['NAME', 'PHASE', 'STABLE', 'CANARY', 'WEIGHT', 'SERVICE', 'MESSAGE'],
              res.items.map((r) => [
                r.name,
                r.phase,
                String(r.stableRevision ?? '—'),
                String(r.canaryRevision ?? '—'),
                `${r.canaryWeight}%`,
                r.serviceUrl,
                r.message,
              ]),
            ),
      )
    },
  )

  const action = (name: string, description: string) =>
    withCommon(program.command(name).description(description).argument('<rollout>', 'rollout name'))
  const done = (verb: string) => (view: RolloutView) =>
    `rollout/${view.name} ${verb}: ${view.status.phase} — ${view.status.message}\n`

  action(
    'promote',
    'skip the current step (pause, analysis) — or with --full, every remaining step',
  )
    .option('--full', 'promote at once, skipping all remaining steps and analyses')
    .action(async (name: string, options: CommonOptions & { full?: boolean }) => {
      const view = await (
        await daemonClient(options)
      ).post<RolloutView>(`/api/v1/rollouts/${encodeURIComponent(name)}/promote`, {
        full: options.full === true,
      })
      printResult(ctx, options.output, view, () =>
        done(options.full === true ? 'fully promoted' : 'promoted')(view),
      )
    })
  action('abort', 'roll back now: all traffic to stable, the canary scaled down').action(
    async (name: string, options: CommonOptions) => {
      const view = await (
        await daemonClient(options)
      ).post<RolloutView>(`/api/v1/rollouts/${encodeURIComponent(name)}/abort`)
      printResult(ctx, options.output, view, () => done('aborted')(view))
    },
  )
  for (const [verb, text] of [
    ['retry', 'restart a rolled-back revision from the first step'],
    ['pause', 'hold the rollout at its current step'],
    ['resume', 'continue a paused rollout'],
  ] as const) {
    action(verb, text).action(async (name: string, options: CommonOptions) => {
      const view = await (
        await daemonClient(options)
      ).post<RolloutView>(`/api/v1/rollouts/${encodeURIComponent(name)}/${verb}`)
      printResult(ctx, options.output, view, () =>
        done(verb === 'retry' ? 'retried' : `${verb}d`)(view),
      )
    })
  }
  action('undo', 'roll out an earlier revision again (default: the one before the current)')
    .option('--to-revision <n>', 'revision to go back to', (v) => {
      const n = Number(v)
      if (!Number.isInteger(n) || n < 1)
        throw new InputError(`--to-revision must be a positive whole number (got "${v}")`)
      return n
    })
    .action(async (name: string, options: CommonOptions & { toRevision?: number }) => {
      const res = await (
        await daemonClient(options)
      ).post<ApplyResult>(
        `/api/v1/rollouts/${encodeURIComponent(name)}/undo`,
        options.toRevision === undefined ? {} : { toRevision: options.toRevision },
      )
      printResult(ctx, options.output, res, () =>
        res.results.map((r) => `rollout/${r.name} ${r.result} (revision ${r.revision})\n`).join(''),
      )
    })

  const set = program.command('set').description('change a rollout in place')
  withCommon(
    set
      .command('env')
      .description(
        'set environment variables of the workload: makes a new revision (like `kubectl set image`)',
      )
      .argument('<rollout>')
      .argument('<assignments...>', 'KEY=VALUE to set, KEY- to remove'),
  ).action(async (name: string, assignments: string[], options: CommonOptions) => {
    const values: Record<string, string> = {}
    const unset: string[] = []
    for (const a of assignments) {
      if (a.endsWith('-') && !a.includes('=')) unset.push(a.slice(0, -1))
      else {
        const eq = a.indexOf('=')
        if (eq <= 0)
          throw new InputError(`"${a}" is not KEY=VALUE`, {
            hint: 'e.g. `kanari set env checkout COLOR=green` (KEY- removes KEY)',
          })
        values[a.slice(0, eq)] = a.slice(eq + 1)
      }
    }
    const res = await (
      await daemonClient(options, true)
    ).post<ApplyResult>(`/api/v1/rollouts/${encodeURIComponent(name)}/env`, { set: values, unset })
    printResult(ctx, options.output, res, () =>
      res.results.map((r) => `rollout/${r.name} ${r.result} (revision ${r.revision})\n`).join(''),
    )
  })

  withCommon(
    program
      .command('logs')
      .description("recent log lines of a rollout's replicas (stable by default)")
      .argument('<rollout>'),
  )
    .option('--canary', 'show the canary revision instead of stable')
    .option('--tail <n>', 'lines to show', (v) => Number(v), 100)
    .action(async (name: string, options: CommonOptions & { canary?: boolean; tail: number }) => {
      const res = await (
        await daemonClient(options)
      ).get<{ revision: number; lines: string[] }>(
        `/api/v1/rollouts/${encodeURIComponent(name)}/logs?canary=${options.canary === true}&lines=${options.tail}`,
      )
      printResult(ctx, options.output, res, () => res.lines.map((l) => `${l}\n`).join(''))
    })

  withCommon(
    program
      .command('delete')
      .description('delete a rollout and stop its replicas and proxy')
      .argument('<rollout>'),
  ).action(async (name: string, options: CommonOptions) => {
    const res = await (
      await daemonClient(options)
    ).delete<{ deleted: string }>(`/api/v1/rollouts/${encodeURIComponent(name)}`)
    printResult(ctx, options.output, res, () => `rollout/${res.deleted} deleted\n`)
  })
}

/** `get --watch`: redraws in place on a TTY; elsewhere prints a line per change. */
async function watch(
  ctx: CliContext,
  options: CommonOptions & { interval: number },
  fetchView: () => Promise<RolloutView>,
): Promise<void> {
  const tty = ctx.io.stdout.isTTY === true && options.output === 'table'
  let last = ''
  let stop = false
  process.once('SIGINT', () => (stop = true))
  while (!stop) {
    const view = await fetchView()
    if (options.output === 'json') ctx.io.stdout.write(JSON.stringify(view) + '\n')
    else if (tty) ctx.io.stdout.write(`\x1b[H\x1b[2J${renderRolloutView(view)}`)
    else {
      const line = `${new Date().toISOString().slice(11, 19)} ${view.name} ${view.status.phase} canary ${view.status.canaryRevision ?? '—'} at ${view.status.traffic.canaryWeight}% — ${view.status.message}`
      const key = line.slice(9)
      if (key !== last) ctx.io.stdout.write(line + '\n')
      last = key
    }
    await new Promise((r) => setTimeout(r, Math.max(200, options.interval * 1000)))
  }
}
