/**
 * The daemon API's request and response shapes as TypeBox schemas: Fastify checks requests and
 * serialises responses with them, the OpenAPI document is built from them, and the CLI's types too.
 */
import Type, { type Static } from 'typebox'
import type { StoredEvent } from '../../../controller/ports.js'
import { APPLY_RESULTS } from '../../../controller/revisions.js'
import { EVENT_REASONS } from '../../../engine/events.js'
import type { RolloutStatus } from '../../../engine/status.js'
import {
  GATE_NAME_MAX_LENGTH,
  GATE_NAME_PATTERN,
  NOTIFICATION_PROVIDERS,
  SEVERITIES,
} from '../../../engine/vocabulary.js'
import { StringEnum, StringMap } from '../../../spec/schema-helpers.js'
import { VIEW_EVENTS } from './limits.js'
import { OpenObject, Revision } from './open-object.js'
import { UndoChoices } from './undo-schemas.js'

export { UndoBody } from './undo-schemas.js'

const NullableRevision = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description })

// ---- requests ----

export const RolloutParams = Type.Object({
  name: Type.String({ minLength: 1, description: 'rollout name (metadata.name)' }),
})

export const ApplyBody = Type.Object({
  files: Type.Array(
    Type.Object({
      name: Type.String({ description: 'file name shown in errors; `-` for stdin' }),
      text: Type.String({ description: 'YAML or JSON text of one or more documents' }),
    }),
    { description: 'Rollout and AnalysisTemplate manifests' },
  ),
  baseDir: Type.String({
    description: 'directory relative paths in the manifests (and file names) are resolved against',
  }),
})

export const PromoteBody = Type.Object({
  full: Type.Optional(
    Type.Boolean({ description: 'skip every remaining step and analysis (default false)' }),
  ),
})

export const AbortBody = Type.Object({
  reason: Type.Optional(Type.String({ description: 'why, recorded in the status and events' })),
})

/** retry, pause and resume take no fields. */
export const EmptyBody = Type.Object({})

export const EnvBody = Type.Object({
  set: Type.Optional(
    Type.Unsafe<Record<string, string>>(
      StringMap(Type.String(), { description: 'variables to set' }),
    ),
  ),
  unset: Type.Optional(Type.Array(Type.String(), { description: 'variables to remove' })),
})

export const ViewQuery = Type.Object({
  events: Type.Optional(
    Type.Integer({ minimum: 0, description: 'stored events to build the view from (default 200)' }),
  ),
})

export const EventsQuery = Type.Object({
  since: Type.Optional(
    Type.Integer({ minimum: 0, description: 'only events with a larger id (default 0)' }),
  ),
})

export const LogsQuery = Type.Object({
  canary: Type.Optional(
    Type.Boolean({ description: 'the canary revision instead of stable (default false)' }),
  ),
  lines: Type.Optional(
    Type.Integer({ minimum: 0, description: 'most recent lines to return (default 100)' }),
  ),
})

// ---- responses ----

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'stable machine code, e.g. KANARI_NOT_FOUND' }),
    message: Type.String(),
    hint: Type.Optional(Type.String({ description: 'what to do about it' })),
    details: Type.Optional(Type.Unknown()),
  }),
})

/** The daemon's own condition: whether it can save state, and if not why and what to do. */
export const DaemonCondition = OpenObject({
  stateWritable: Type.Boolean({
    description: 'false while state cannot be saved (a full or read-only disk); retried every tick',
  }),
  problem: Type.Union([Type.String(), Type.Null()], {
    description: 'why state cannot be saved and what to do, or null',
  }),
})

export const HealthResponse = OpenObject({
  ok: Type.Boolean(),
  version: Type.String(),
  pid: Type.Integer(),
  stateDir: Type.String(),
  daemon: DaemonCondition,
})

export const RolloutListItem = OpenObject({
  name: Type.String(),
  phase: Type.String(),
  message: Type.String(),
  stableRevision: NullableRevision('revision serving users'),
  canaryRevision: NullableRevision('revision being rolled out'),
  canaryWeight: Type.Number({ description: 'percent of weighted traffic on the canary' }),
  stableWeight: Type.Number({
    description:
      'percent of weighted traffic on the stable revision (100 when nothing is in flight)',
  }),
  stepIndex: Type.Integer({
    description: 'current canary step, 0-based (tables show it 1-based, as step N of stepCount)',
  }),
  stepCount: Type.Integer({ description: 'canary steps in the plan; 0 for other strategies' }),
  serviceUrl: Type.String(),
})

export const RolloutListResponse = OpenObject({
  items: Type.Array(RolloutListItem),
  daemon: Type.Optional(DaemonCondition),
})

/**
 * An event as the engine made it (see src/engine/events.ts): the fields every event has are
 * described here; the fields of its reason (step, weights, run, explanation, cause…) pass through.
 */
export const StoredEventSchema = Type.Unsafe<StoredEvent>(
  OpenObject(
    {
      id: Type.Integer(),
      rollout: Type.String({ description: 'rollout name' }),
      at: Type.Number({ description: 'epoch milliseconds' }),
      severity: StringEnum(SEVERITIES),
      reason: StringEnum(EVENT_REASONS, { description: 'stable: code may rely on it' }),
      revision: Type.Integer({ description: 'the revision the event is about' }),
      canaryWeight: Type.Number({ description: "the canary's share of traffic it refers to" }),
      stepIndex: Type.Integer(),
      message: Type.String({ description: 'for people only; no code should parse it' }),
    },
    "an engine event; the reason's own fields are listed in docs/architecture.md",
  ),
)

export const EventsResponse = OpenObject({ items: Type.Array(StoredEventSchema) })

export const VersionView = OpenObject({
  revision: Revision(),
  role: Type.String({ description: 'stable, canary or old' }),
  desired: Type.Integer(),
  ready: Type.Integer(),
  restarts: Type.Integer(),
  crashLooping: Type.Boolean(),
  droppedLogBytes: Type.Integer({
    description: 'bytes of replica output not written to the logs (a full or read-only disk)',
  }),
  logDropReason: Type.Optional(
    Type.String({
      description: 'why replica output is being dropped now (ENOSPC, EROFS…), while it is',
    }),
  ),
  requests: Type.Integer(),
  errors: Type.Integer(),
  pids: Type.Array(Type.Integer()),
})

export const ProcessRowSchema = OpenObject({
  step: Type.Integer(),
  atSeconds: Type.Number({ description: 'seconds since the release started' }),
  action: Type.String(),
  versionState: Type.String(),
  canaryPercent: Type.Number({ description: 'percent of users on the new version' }),
  monitoring: Type.String(),
  userGroup: Type.Optional(Type.String()),
  detail: Type.String(),
  next: Type.String(),
})

const Timestamp = (description: string) =>
  Type.Union([Type.Number(), Type.Null()], { description: `${description} (epoch ms), or null` })

/** How one notification has fared, across daemon restarts (src/notify/stats.ts). */
export const NotificationView = OpenObject({
  name: Type.String(),
  provider: StringEnum(NOTIFICATION_PROVIDERS),
  severity: StringEnum(SEVERITIES, { description: 'the lowest severity sent' }),
  sent: Type.Integer({ description: 'messages the service accepted' }),
  failed: Type.Integer({ description: 'messages given up on after their last attempt' }),
  dropped: Type.Integer({
    description: 'messages not sent: the queue was full, or the daemon stopped first',
  }),
  retries: Type.Integer({ description: 'attempts made again after a failure' }),
  queued: Type.Integer({ description: 'messages waiting, including one being sent' }),
  lastSentAt: Timestamp('when a message was last accepted'),
  lastError: Type.Union([Type.String(), Type.Null()], {
    description: 'the latest failure (never the webhook URL), or null',
  }),
  lastErrorAt: Timestamp('when it happened'),
})

export const RolloutViewSchema = OpenObject(
  {
    name: Type.String(),
    revision: Revision(),
    serviceUrl: Type.String(),
    proxyPid: Type.Optional(
      Type.Integer({ description: "the rollout's proxy process (it outlives the daemon)" }),
    ),
    status: Type.Unsafe<RolloutStatus>({
      type: 'object',
      additionalProperties: true,
      description: "the engine's rollout status (phase, message, revisions, traffic, analyses…)",
    }),
    plan: Type.Unsafe<unknown>({
      type: 'object',
      additionalProperties: true,
      description: 'the rollout plan the engine runs (strategy, steps, analysis)',
    }),
    versions: Type.Array(VersionView),
    daemon: DaemonCondition,
    events: Type.Array(StoredEventSchema, {
      description: `the most recent events (up to ${VIEW_EVENTS}; \`…/events\` has more)`,
    }),
    processTable: Type.Array(ProcessRowSchema, { description: "the latest release's process" }),
    diagnosis: Type.Optional(
      OpenObject(
        {
          revision: Revision(),
          summary: Type.Array(Type.String(), {
            description: 'the top evidence, one line each (`kanari diagnose` has the whole report)',
          }),
          advisor: Type.Union([Type.String(), Type.Null()], {
            description:
              "the advisor's verdict and explanation in a line, or why it was unavailable",
          }),
        },
        'after a rollback: the stored evidence report of the rolled-back revision, in brief',
      ),
    ),
    notifications: Type.Array(NotificationView, {
      description: "the rollout's notifications: sent, failed, dropped and waiting messages",
    }),
    undo: UndoChoices,
  },
  'a rollout as `kanari get` shows it',
)

export type RolloutView = Static<typeof RolloutViewSchema>
export type RolloutListEntry = Static<typeof RolloutListItem>

export const AppliedRollout = OpenObject({
  name: Type.String(),
  revision: Revision(),
  result: StringEnum(APPLY_RESULTS, {
    description:
      "what applying did; `reverted`: the template is the stable revision's, so the rollout is back on it (revision) and any canary is dropped",
  }),
})

export type AppliedRollout = Static<typeof AppliedRollout>

export const ApplyResponse = OpenObject({ results: Type.Array(AppliedRollout) })

export const LogsResponse = OpenObject({
  revision: Revision(),
  lines: Type.Array(Type.String()),
})

export const DeletedResponse = OpenObject({ deleted: Type.String() })

export const StoppingResponse = OpenObject({ stopping: Type.Boolean(), pid: Type.Integer() })

/** Error answers every route can give, for the OpenAPI document and the serializer. */
export const ERROR_RESPONSES = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const

// ---- gates and load tests ----

export const GateParams = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: GATE_NAME_MAX_LENGTH,
    pattern: GATE_NAME_PATTERN,
    description: 'gate name: lower-case letters, digits, dashes and dots',
  }),
})

export const GateView = OpenObject({
  name: Type.String(),
  open: Type.Boolean({ description: 'a gate never opened is closed' }),
  updatedAt: Type.Union([Type.Number(), Type.Null()], {
    description: 'epoch ms of the last open or close; null if never',
  }),
  usedBy: Type.Array(
    OpenObject({
      rollout: Type.String(),
      webhook: Type.String(),
      type: Type.String({ description: 'the webhook type' }),
    }),
    { description: 'the webhooks of applied rollouts that ask this gate' },
  ),
})

export type GateView = Static<typeof GateView>

export const GateListResponse = OpenObject({ items: Type.Array(GateView) })

export const GateCheckResponse = OpenObject({
  gate: Type.String(),
  open: Type.Boolean(),
  message: Type.String(),
})

export const LoadtestRunSchema = OpenObject({
  id: Type.String(),
  owner: Type.String({ description: 'the rollout that started it (`name.namespace`), or `api`' }),
  request: OpenObject({
    url: Type.String(),
    method: Type.String(),
    ratePerSecond: Type.Number(),
    durationSeconds: Type.Number(),
    concurrency: Type.Integer(),
  }),
  state: StringEnum(['running', 'finished', 'stopped'] as const),
  startedAt: Type.Number(),
  endedAt: Type.Union([Type.Number(), Type.Null()]),
  sent: Type.Integer(),
  answered: Type.Integer(),
  failed: Type.Integer(),
  summary: Type.Unsafe<unknown>({
    description: 'counts by status, errors and latency percentiles, once it ended',
  }),
})

export const LoadtestStartResponse = OpenObject({
  started: Type.Boolean({ description: 'false: the same run was already going on' }),
  run: LoadtestRunSchema,
})

export const LoadtestListResponse = OpenObject({ items: Type.Array(LoadtestRunSchema) })
/** Prometheus' HTTP service discovery format: a list of target groups. */
export const PrometheusTargetsResponse = Type.Array(
  Type.Object({
    targets: Type.Array(Type.String()),
    labels: Type.Record(Type.String(), Type.String()),
  }),
)
