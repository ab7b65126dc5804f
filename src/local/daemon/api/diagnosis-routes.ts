/**
 * The API's diagnosis routes: a revision's evidence report (stored at its rollback, or built on
 * demand) with what an advisor said of it, and storing what an advisor asked from the CLI said.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import Type, { type Static } from 'typebox'
import type { AdvisorSettings } from '../../../advisor/advise.js'
import { ADVICE_VERDICTS, ADVISOR_KINDS, type AdvisorRecord } from '../../../diagnosis/advice.js'
import type { DiagnosisReport } from '../../../diagnosis/report.js'
import { ConflictError, NotFoundError } from '../../../errors.js'
import { StringEnum } from '../../../spec/schema-helpers.js'
import type { Daemon } from '../daemon.js'
import { ERROR_RESPONSES, RolloutParams } from './schemas.js'

const tags = ['diagnosis']

export const DiagnosisQuery = Type.Object({
  revision: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        'revision to diagnose (default: the canary in flight, else the latest stored report, else the last rolled-back or promoted revision)',
    }),
  ),
})

const ObjectOf = <T>(description: string) =>
  Type.Unsafe<T>({ type: 'object', additionalProperties: true, description })

export const DiagnosisResponse = Type.Object(
  {
    rollout: Type.String(),
    revision: Type.Integer(),
    stored: Type.Boolean({
      description:
        'true: the report stored at the rollback (or review); false: built now, not stored',
    }),
    report: ObjectOf<DiagnosisReport>('the evidence report (docs/diagnosis.md), schemaVersion 1'),
    advisor: Type.Union([ObjectOf<AdvisorRecord>('what the advisor said'), Type.Null()]),
    advisorSettings: Type.Union(
      [
        Type.Object(
          {
            kind: StringEnum(ADVISOR_KINDS),
            url: Type.Optional(Type.String()),
            model: Type.Optional(Type.String()),
            apiKeyEnv: Type.Optional(Type.String()),
            apiKeyFile: Type.Optional(Type.String()),
            modelFile: Type.Optional(Type.String()),
            timeoutSeconds: Type.Number(),
          },
          { additionalProperties: true },
        ),
        Type.Null(),
      ],
      { description: "the spec's advisor (where the key is read from, never the key)" },
    ),
  },
  { additionalProperties: true },
)
export type DiagnosisResponse = Static<typeof DiagnosisResponse>

export const AdvisorRecordBody = Type.Object({
  revision: Type.Integer({ minimum: 1 }),
  record: Type.Object(
    {
      status: StringEnum(['answered', 'unavailable'] as const),
      via: StringEnum(ADVISOR_KINDS),
      model: Type.String({ maxLength: 1000 }),
      elapsedMs: Type.Number({ minimum: 0 }),
      reason: Type.Optional(Type.String({ maxLength: 2000 })),
      responseFormat: Type.Optional(StringEnum(['json_schema', 'json_object', 'grammar'] as const)),
      advice: Type.Optional(
        Type.Object(
          {
            verdict: StringEnum(ADVICE_VERDICTS),
            confidence: Type.Number({ minimum: 0, maximum: 1 }),
            explanation: Type.String({ maxLength: 1000 }),
            suspectedCause: Type.String({ maxLength: 1000 }),
            suggestedFix: Type.String({ maxLength: 1000 }),
            evidence: Type.Array(Type.String({ maxLength: 8 }), { maxItems: 5 }),
            droppedCitations: Type.Integer({ minimum: 0 }),
            corrections: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 20 }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
})

/** The settings as shown: where a key comes from, never a key. */
function shownSettings(s: AdvisorSettings | undefined): DiagnosisResponse['advisorSettings'] {
  if (s === undefined) return null
  return { ...s }
}

export const diagnosisRoutes: FastifyPluginCallbackTypebox<{ daemon: Daemon }> = (
  app,
  { daemon },
  done,
) => {
  app.get(
    '/api/v1/rollouts/:name/diagnosis',
    {
      schema: {
        summary:
          "a revision's evidence report: verdicts, requests by method/path/status, log diff, change",
        tags,
        params: RolloutParams,
        querystring: DiagnosisQuery,
        response: { 200: DiagnosisResponse, ...ERROR_RESPONSES },
      },
    },
    async (req): Promise<DiagnosisResponse> => {
      const c = daemon.controller(req.params.name)
      const s = c.status
      const settings = shownSettings(c.diagnoser.advisor())
      const inFlight = s.phase !== 'RolledBack' ? s.canaryRevision : null
      let revision = req.query.revision ?? inFlight ?? undefined
      if (revision === undefined) {
        const latest = c.diagnoser.stored()
        if (latest !== undefined)
          return { rollout: c.name, ...latest, stored: true, advisorSettings: settings }
        revision = s.lastOutcome?.revision
      }
      if (revision === undefined)
        throw new ConflictError(`rollout ${c.name} has had no release to diagnose`, {
          hint: 'a diagnosis compares a new revision with stable: release one (`kanari set env` or `kanari apply`) first',
        })
      if (revision !== inFlight) {
        const stored = c.diagnoser.stored(revision)
        if (stored !== undefined)
          return { rollout: c.name, ...stored, stored: true, advisorSettings: settings }
      }
      if (revision > s.revision)
        throw new NotFoundError(
          `rollout ${c.name} has no revision ${revision} (latest ${s.revision})`,
        )
      const report = await c.diagnoser.build(revision, 'on-demand')
      return {
        rollout: c.name,
        revision,
        report,
        advisor: null,
        stored: false,
        advisorSettings: settings,
      }
    },
  )

  app.put(
    '/api/v1/rollouts/:name/diagnosis/advisor',
    {
      schema: {
        summary: "store what an advisor said of a revision's stored report (advisory only)",
        tags,
        params: RolloutParams,
        body: AdvisorRecordBody,
        response: { 200: Type.Object({ stored: Type.Boolean() }), ...ERROR_RESPONSES },
      },
    },
    (req) => {
      const c = daemon.controller(req.params.name)
      const stored = c.diagnoser.storeAdvice(req.body.revision, req.body.record as AdvisorRecord)
      if (!stored)
        throw new NotFoundError(
          `rollout ${c.name} has no stored report of revision ${req.body.revision}`,
        )
      return { stored }
    },
  )

  done()
}
