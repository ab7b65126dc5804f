/**
 * The API's state-changing routes (bearer token required): apply, the rollout commands (promote,
 * abort, retry, pause, resume), undo, set env, delete, and shutting the daemon down.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { TSchema } from 'typebox'
import type { RolloutCommand } from '../../../engine/commands.js'
import type { Daemon } from '../daemon.js'
import { setEnvEdit, undoEdit, type Edit } from '../rollout-edits.js'
import {
  AbortBody,
  ApplyBody,
  ApplyResponse,
  DeletedResponse,
  EmptyBody,
  EnvBody,
  ERROR_RESPONSES,
  PromoteBody,
  RolloutParams,
  RolloutViewSchema,
  StoppingResponse,
  UndoBody,
} from './schemas.js'

const tags = ['rollouts']

/** The commands that take no arguments, each a `POST /api/v1/rollouts/:name/<command>`. */
const PLAIN_COMMANDS = {
  retry:
    'restart a rolled-back revision from the first step, or re-run the failed analysis of a frozen one',
  pause: 'hold the rollout at its current step',
  resume: 'continue a paused rollout',
} as const

export const writeRoutes: FastifyPluginCallbackTypebox<{ daemon: Daemon }> = (
  app,
  { daemon },
  done,
) => {
  const commandSchema = <B extends TSchema>(summary: string, body: B) => ({
    summary,
    tags,
    params: RolloutParams,
    body,
    response: { 200: RolloutViewSchema, ...ERROR_RESPONSES },
  })
  const runCommand = async (name: string, command: RolloutCommand) => {
    await daemon.controller(name).command(command)
    return daemon.describe(name)
  }
  const applyEdit = async (edit: Edit) => ({
    results: await daemon.apply(edit.files, edit.baseDir),
  })
  const applySchema = <B extends TSchema>(summary: string, body: B) => ({
    summary,
    tags,
    params: RolloutParams,
    body,
    response: { 200: ApplyResponse, ...ERROR_RESPONSES },
  })

  app.put(
    '/api/v1/rollouts',
    {
      schema: {
        summary: 'create or update rollouts from manifests; a changed workload is a new revision',
        tags,
        body: ApplyBody,
        response: { 200: ApplyResponse, ...ERROR_RESPONSES },
      },
    },
    async (req) => ({ results: await daemon.apply(req.body.files, req.body.baseDir) }),
  )

  app.post(
    '/api/v1/rollouts/:name/promote',
    {
      schema: commandSchema(
        'skip the current step, or with `full` every remaining step and analysis',
        PromoteBody,
      ),
    },
    (req) => runCommand(req.params.name, { type: 'promote', full: req.body.full === true }),
  )

  app.post(
    '/api/v1/rollouts/:name/abort',
    {
      schema: commandSchema(
        'roll back now: all traffic to stable, the canary scaled down',
        AbortBody,
      ),
    },
    (req) =>
      runCommand(req.params.name, {
        type: 'abort',
        ...(req.body.reason === undefined ? {} : { reason: req.body.reason }),
      }),
  )

  for (const [type, summary] of Object.entries(PLAIN_COMMANDS) as [
    keyof typeof PLAIN_COMMANDS,
    string,
  ][]) {
    app.post(
      `/api/v1/rollouts/:name/${type}`,
      { schema: commandSchema(summary, EmptyBody) },
      (req) => runCommand(req.params.name, { type }),
    )
  }

  app.post(
    '/api/v1/rollouts/:name/undo',
    {
      schema: applySchema(
        'roll out an earlier revision again (default: the last one promoted and healthy; a rolled-back one only with `force`)',
        UndoBody,
      ),
    },
    (req) => {
      const { name } = req.params
      const { status } = daemon.controller(name)
      return applyEdit(undoEdit(daemon.store, name, status, req.body))
    },
  )

  app.post(
    '/api/v1/rollouts/:name/env',
    { schema: applySchema('set or remove environment variables: a new revision', EnvBody) },
    (req) => {
      const { name } = req.params
      daemon.controller(name)
      return applyEdit(setEnvEdit(daemon.store, name, req.body.set ?? {}, req.body.unset ?? []))
    },
  )

  app.delete(
    '/api/v1/rollouts/:name',
    {
      schema: {
        summary: 'delete a rollout: stop its proxy and replicas and forget it',
        tags,
        params: RolloutParams,
        response: { 200: DeletedResponse, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      await daemon.deleteRollout(req.params.name)
      return { deleted: req.params.name }
    },
  )

  app.post(
    '/api/v1/shutdown',
    {
      schema: {
        summary: 'stop the daemon and every replica it runs (answers first)',
        tags: ['daemon'],
        response: { 200: StoppingResponse, ...ERROR_RESPONSES },
      },
    },
    () => {
      setImmediate(
        () => void daemon.stop({ keepReplicas: false }).then(() => daemon.options.onStopped?.()),
      )
      return { stopping: true, pid: process.pid }
    },
  )

  done()
}
