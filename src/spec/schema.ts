/**
 * The Kanari spec (`apiVersion: kanari.dev/v1alpha1`): Rollout and AnalysisTemplate as TypeBox
 * schemas — the one source for validation now and for the CRDs' openAPIV3Schema on Kubernetes.
 * Argo Rollouts' and Flagger's field names are kept where they fit.
 */
import Type, { type Static, type TSchema } from 'typebox'
import {
  ANALYSIS_FAILURE_POLICIES,
  BUILTIN_METRIC_NAMES,
  JUDGES,
  WEB_METRIC_METHODS,
  type MetricProviderKind,
} from '../analysis/vocabulary.js'
import {
  GATE_NAME_MAX_LENGTH,
  GATE_NAME_PATTERN,
  LOADTEST_LIMITS,
  LOADTEST_METHODS,
  NOTIFICATION_PROVIDERS,
  SEVERITIES,
  WEBHOOK_TYPES,
  type RouterName,
} from '../engine/vocabulary.js'
import { PROMETHEUS_QUERY_SETS } from './query-sets.js'
import { EVENT_REASONS } from '../engine/events.js'
import { IntOrString, REFUSED_FIELDS, StringEnum, StringMap } from './schema-helpers.js'

export const API_VERSION = 'kanari.dev/v1alpha1'

const DURATION_FORMAT = 'seconds, or a duration like "500ms", "30s", "5m", "1h"'
const Duration = (what?: string) =>
  IntOrString({ description: what === undefined ? DURATION_FORMAT : `${what}; ${DURATION_FORMAT}` })
const Percent = (description: string) => Type.Integer({ minimum: 0, maximum: 100, description })
/** Counts and seconds: Kubernetes' int32, so that every value fits the CRDs and time arithmetic. */
export const INT32_MAX = 2_147_483_647
const Count = (minimum: number) => Type.Integer({ minimum, maximum: INT32_MAX })
/** A bound on a measured value (percent, milliseconds, a query's result): finite. */
const Bound = () => Type.Number({ minimum: -1e15, maximum: 1e15 })

const StringMatch = Type.Object({
  exact: Type.Optional(Type.String()),
  prefix: Type.Optional(Type.String()),
  regex: Type.Optional(Type.String()),
})

export const RequestMatchSchema = Type.Object(
  {
    headerName: Type.Optional(Type.String({ minLength: 1 })),
    headerValue: Type.Optional(StringMatch),
    cookieName: Type.Optional(Type.String({ minLength: 1 })),
    cookieValue: Type.Optional(StringMatch),
  },
  { description: 'a header (headerName + headerValue) or cookie (cookieName + cookieValue) match' },
)

const SecretSource = Type.Object(
  {
    env: Type.Optional(Type.String({ minLength: 1 })),
    file: Type.Optional(Type.String({ minLength: 1 })),
  },
  {
    description:
      'exactly one of env (a variable of the measuring process) or file (an absolute path)',
  },
)

const HttpAuthSchema = Type.Object(
  {
    bearer: Type.Optional(SecretSource),
    basic: Type.Optional(
      Type.Object({ username: Type.String({ minLength: 1 }), password: SecretSource }),
    ),
  },
  { description: 'exactly one of bearer (a token) or basic (username and password)' },
)

const Provider = Type.Object({
  builtin: Type.Optional(Type.Object({ metric: StringEnum(BUILTIN_METRIC_NAMES) })),
  prometheus: Type.Optional(
    Type.Object({
      address: Type.String({ minLength: 1 }),
      query: Type.Optional(Type.String({ minLength: 1 })),
      rangeQuery: Type.Optional(
        Type.Object({ duration: Type.Optional(Duration()), step: Duration() }),
      ),
      traffic: Type.Optional(
        Type.Object(
          {
            querySet: Type.Optional(StringEnum(PROMETHEUS_QUERY_SETS)),
            metric: Type.Optional(StringEnum(BUILTIN_METRIC_NAMES)),
            canary: Type.Optional(Type.String({ minLength: 1 })),
            stable: Type.Optional(Type.String({ minLength: 1 })),
            requests: Type.Optional(Type.String({ minLength: 1 })),
            errors: Type.Optional(Type.String({ minLength: 1 })),
            latencyBuckets: Type.Optional(Type.String({ minLength: 1 })),
            latencySum: Type.Optional(Type.String({ minLength: 1 })),
            latencyUnit: Type.Optional(StringEnum(['seconds', 'milliseconds'])),
          },
          { description: 'per-version counters: a query set, or your own queries and selectors' },
        ),
      ),
      headers: Type.Optional(StringMap(Type.String())),
      auth: Type.Optional(HttpAuthSchema),
      timeout: Type.Optional(Duration()),
    }),
  ),
  web: Type.Optional(
    Type.Object({
      url: Type.String({ minLength: 1 }),
      method: Type.Optional(StringEnum(WEB_METRIC_METHODS)),
      headers: Type.Optional(StringMap(Type.String())),
      body: Type.Optional(Type.String()),
      jsonBody: Type.Optional(
        Type.Unsafe<Record<string, unknown>>({
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          description: 'a JSON object, sent as the body with content-type application/json',
        }),
      ),
      jsonPath: Type.String({ minLength: 1 }),
      auth: Type.Optional(HttpAuthSchema),
      timeout: Type.Optional(Duration()),
    }),
  ),
  command: Type.Optional(
    Type.Object({
      command: Type.Array(Type.String(), { minItems: 1 }),
      timeout: Type.Optional(Duration()),
    }),
  ),
  job: Type.Optional(
    Type.Object(
      {
        image: Type.String({ minLength: 1 }),
        command: Type.Array(Type.String(), { minItems: 1 }),
        timeout: Type.Optional(Duration()),
      },
      {
        description:
          "Kubernetes: a Job in the rollout's namespace; 1 when it succeeds, 0 when it fails",
      },
    ),
  ),
} satisfies Record<MetricProviderKind, TSchema>)

export const MetricSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  provider: Type.Optional(Provider),
  interval: Type.Optional(Duration()),
  count: Type.Optional(Count(1)),
  initialDelay: Type.Optional(Duration()),
  thresholdRange: Type.Optional(
    Type.Object({ min: Type.Optional(Bound()), max: Type.Optional(Bound()) }),
  ),
  successCondition: Type.Optional(Type.String({ minLength: 1 })),
  failureCondition: Type.Optional(Type.String({ minLength: 1 })),
  failureLimit: Type.Optional(Count(0)),
  inconclusiveLimit: Type.Optional(Count(0)),
  consecutiveErrorLimit: Type.Optional(Count(0)),
  errorGracePeriod: Type.Optional(
    Duration(
      'how long the provider may fail in a row before its errors can end the run (with more than consecutiveErrorLimit of them); the release holds meanwhile. Default 60s; 0: by count only',
    ),
  ),
})

export const ArgSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  value: Type.Optional(Type.String()),
})
export const TemplateRefSchema = Type.Object({ templateName: Type.String({ minLength: 1 }) })

/** What a failed analysis does to the release; an analysis's own choice beats the rollout's. */
const OnFailure = (what: string) =>
  StringEnum(ANALYSIS_FAILURE_POLICIES, {
    description: `${what}: rollback (default) sends all traffic back to stable; freeze keeps traffic where it is and waits for abort, promote or retry`,
  })

export const AnalysisRefSchema = Type.Object({
  templates: Type.Optional(Type.Array(TemplateRefSchema)),
  args: Type.Optional(Type.Array(ArgSchema)),
  metrics: Type.Optional(Type.Array(MetricSchema)),
  duration: Type.Optional(Duration()),
  onFailure: Type.Optional(OnFailure('when this analysis fails')),
})

export const StepSchema = Type.Object(
  {
    setWeight: Type.Optional(Percent('percent of traffic to the canary')),
    pause: Type.Optional(Type.Object({ duration: Type.Optional(Duration()) })),
    analysis: Type.Optional(AnalysisRefSchema),
    setHeaderRoute: Type.Optional(
      Type.Object({
        name: Type.String({ minLength: 1 }),
        match: Type.Optional(Type.Array(RequestMatchSchema)),
      }),
    ),
    setMirrorRoute: Type.Optional(
      Type.Object({
        name: Type.String({ minLength: 1 }),
        percentage: Type.Optional(Percent('percent of requests copied')),
        match: Type.Optional(Type.Array(RequestMatchSchema)),
      }),
    ),
    setCanaryScale: Type.Optional(
      Type.Object({
        replicas: Type.Optional(Count(0)),
        weight: Type.Optional(Percent('canary size as a percent of replicas')),
        matchTrafficWeight: Type.Optional(Type.Boolean()),
      }),
    ),
  },
  { description: 'exactly one of the keys' },
)

export const CanarySchema = Type.Object({
  steps: Type.Optional(Type.Array(StepSchema)),
  interval: Type.Optional(Duration()),
  stepWeight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  maxWeight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  stepWeights: Type.Optional(
    Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), { minItems: 1 }),
  ),
  iterations: Type.Optional(Count(1)),
  match: Type.Optional(Type.Array(RequestMatchSchema, { minItems: 1 })),
  mirror: Type.Optional(
    Type.Object({
      percentage: Type.Optional(Percent('percent of requests mirrored during the mirror phase')),
      duration: Type.Optional(Duration()),
    }),
  ),
  abortScaleDownDelaySeconds: Type.Optional(Count(0)),
  scaleDownDelaySeconds: Type.Optional(Count(0)),
})

export const BlueGreenSchema = Type.Object({
  autoPromotionEnabled: Type.Optional(Type.Boolean()),
  autoPromotionSeconds: Type.Optional(Count(0)),
  prePromotionAnalysis: Type.Optional(AnalysisRefSchema),
  postPromotionAnalysis: Type.Optional(AnalysisRefSchema),
  scaleDownDelaySeconds: Type.Optional(Count(0)),
  previewReplicaCount: Type.Optional(Count(1)),
  previewMirrorPercentage: Type.Optional(
    Percent('percent of live traffic mirrored to the preview'),
  ),
})

export const RollingSchema = Type.Object({
  maxSurge: Type.Optional(IntOrString()),
  maxUnavailable: Type.Optional(IntOrString()),
})

export const StrategySchema = Type.Object({
  canary: Type.Optional(CanarySchema),
  blueGreen: Type.Optional(BlueGreenSchema),
  rolling: Type.Optional(RollingSchema),
})

/** An optional advisor that explains an evidence report; never the gate (docs/diagnosis.md). */
export const AdvisorSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1',
      }),
    ),
    model: Type.Optional(Type.String({ minLength: 1, description: 'model name sent with url' })),
    apiKeyEnv: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'environment variable of the daemon holding the key',
      }),
    ),
    apiKeyFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the key' })),
    modelFile: Type.Optional(
      Type.String({ minLength: 1, description: 'a GGUF model file run in-process instead of url' }),
    ),
    timeout: Type.Optional(Duration()),
    pauseOnDisagreement: Type.Optional(
      Type.Boolean({
        description:
          'pause an automatic promotion for a person when the advisor does not say promote (default false)',
      }),
    ),
  },
  { description: 'one of url (+ model) or modelFile' },
)

export const RolloutAnalysisSchema = Type.Object({
  interval: Type.Optional(Duration()),
  judge: Type.Optional(StringEnum(JUDGES)),
  alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5 })),
  threshold: Type.Optional(Count(1)),
  minCanaryRequests: Type.Optional(Count(1)),
  startingStep: Type.Optional(Count(0)),
  templates: Type.Optional(Type.Array(TemplateRefSchema)),
  args: Type.Optional(Type.Array(ArgSchema)),
  metrics: Type.Optional(Type.Array(MetricSchema)),
  advisor: Type.Optional(AdvisorSchema),
  onFailure: Type.Optional(OnFailure('when an analysis of these metrics fails')),
})

export const GateNameSchema = Type.String({
  minLength: 1,
  maxLength: GATE_NAME_MAX_LENGTH,
  pattern: GATE_NAME_PATTERN,
  description: 'lower-case letters, digits, dashes and dots',
})

export const LoadtestSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({ minLength: 1, description: "a loopback URL; default the rollout's service" }),
    ),
    path: Type.Optional(
      Type.String({ pattern: '^/', description: "path on the rollout's service (default /)" }),
    ),
    rate: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: LOADTEST_LIMITS.maxRatePerSecond,
        description: 'requests per second',
      }),
    ),
    duration: Type.Optional(Duration()),
    concurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: LOADTEST_LIMITS.maxConcurrency }),
    ),
    method: Type.Optional(StringEnum(LOADTEST_METHODS)),
    headers: Type.Optional(StringMap(Type.String())),
    body: Type.Optional(Type.String()),
  },
  { description: 'a bounded load run the daemon starts (like `kanari loadtest`)' },
)

export const WebhookSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  type: StringEnum(WEBHOOK_TYPES),
  url: Type.Optional(Type.String({ minLength: 1 })),
  gate: Type.Optional(GateNameSchema),
  loadtest: Type.Optional(LoadtestSchema),
  timeout: Type.Optional(Duration()),
  metadata: Type.Optional(StringMap(Type.String())),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
})

/**
 * Where a secret is read when it is needed, never the secret itself: a variable of the daemon's
 * environment or a file (relative to the manifest's directory).
 */
export const SecretSourceSchema = Type.Object(
  {
    env: Type.Optional(Type.String({ minLength: 1, description: 'an environment variable name' })),
    file: Type.Optional(Type.String({ minLength: 1, description: 'a file holding the value' })),
  },
  { description: 'exactly one of env or file' },
)

export const NotificationSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'names it in `kanari get` (default: the provider)',
      }),
    ),
    provider: StringEnum(NOTIFICATION_PROVIDERS),
    urlFrom: SecretSourceSchema,
    severity: Type.Optional(StringEnum(SEVERITIES, { description: 'the lowest severity sent' })),
    events: Type.Optional(
      Type.Array(StringEnum(EVENT_REASONS), {
        minItems: 1,
        description: 'the event reasons sent (default: those people act on)',
      }),
    ),
    timeout: Type.Optional(Duration()),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  },
  {
    [REFUSED_FIELDS]: {
      url: 'a webhook URL is a secret and does not belong in a spec: put it in an environment variable of the daemon or in a file, and write urlFrom: { env: NAME } or urlFrom: { file: PATH }',
    },
  },
)

const Readiness = Type.Object({
  httpGet: Type.String({ minLength: 1, description: 'path probed over HTTP on the replica port' }),
  periodSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
  timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
  initialDelaySeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
})

export const RolloutSpecSchema = Type.Object({
  replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  workload: Type.Object({
    process: Type.Optional(
      Type.Object({
        command: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        cwd: Type.Optional(Type.String()),
        port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
        env: Type.Optional(StringMap(Type.String())),
        readiness: Type.Optional(Readiness),
      }),
    ),
    targetRef: Type.Optional(
      Type.Object({
        apiVersion: Type.Optional(Type.String()),
        kind: StringEnum(['Deployment']),
        name: Type.String({ minLength: 1 }),
      }),
    ),
    flag: Type.Optional(
      Type.Object(
        {
          key: Type.String({
            minLength: 1,
            description: 'the feature flag whose split is rolled out',
          }),
          variant: Type.String({ minLength: 1, description: 'the variant this revision releases' }),
        },
        { description: 'a flag rollout: the traffic is the share of users who get the variant' },
      ),
    ),
  }),
  service: Type.Optional(
    Type.Object({
      port: Type.Integer({
        minimum: 0,
        maximum: 65535,
        description: '0 picks a free port (local mode)',
      }),
      name: Type.Optional(Type.String()),
      drainSeconds: Type.Optional(
        Type.Number({
          minimum: 0,
          maximum: 3600,
          description:
            'Kubernetes: seconds the data plane is given to apply a route change before the pods it took traffic from are scaled down or replaced (default 5)',
        }),
      ),
    }),
  ),
  strategy: StrategySchema,
  trafficRouting: Type.Optional(
    Type.Object({
      proxy: Type.Optional(
        Type.Object({
          stickiness: Type.Optional(
            Type.Object({
              cookie: Type.Optional(Type.String({ minLength: 1 })),
              header: Type.Optional(Type.String({ minLength: 1 })),
            }),
          ),
        }),
      ),
      gatewayAPI: Type.Optional(
        Type.Object({
          httpRoute: Type.String({ minLength: 1 }),
          namespace: Type.Optional(Type.String()),
        }),
      ),
      istio: Type.Optional(
        Type.Object({
          virtualService: Type.Object({
            name: Type.String({ minLength: 1 }),
            routes: Type.Optional(Type.Array(Type.String())),
          }),
        }),
      ),
      nginx: Type.Optional(Type.Object({ ingress: Type.String({ minLength: 1 }) })),
      smi: Type.Optional(Type.Object({ trafficSplit: Type.Optional(Type.String()) })),
      none: Type.Optional(Type.Object({})),
      flag: Type.Optional(Type.Object({})),
    } satisfies Record<RouterName, TSchema>),
  ),
  analysis: Type.Optional(RolloutAnalysisSchema),
  webhooks: Type.Optional(Type.Array(WebhookSchema)),
  notifications: Type.Optional(Type.Array(NotificationSchema)),
  diagnosis: Type.Optional(
    Type.Object({
      secretEnv: Type.Optional(
        Type.Array(Type.String({ minLength: 1 }), {
          description:
            'env variables whose values evidence reports hide (besides secret-looking names)',
        }),
      ),
    }),
  ),
  progressDeadlineSeconds: Type.Optional(Count(1)),
  progressDeadlineAbort: Type.Optional(Type.Boolean()),
  onAnalysisFailure: Type.Optional(
    OnFailure('when any analysis of the rollout fails, unless the analysis says otherwise'),
  ),
  paused: Type.Optional(Type.Boolean()),
})

export const MetadataSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }),
  namespace: Type.Optional(Type.String()),
  labels: Type.Optional(StringMap(Type.String())),
  annotations: Type.Optional(StringMap(Type.String())),
})

export const AnalysisTemplateSpecSchema = Type.Object({
  args: Type.Optional(Type.Array(ArgSchema)),
  metrics: Type.Array(MetricSchema, { minItems: 1 }),
})

export const RolloutSchema = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: MetadataSchema,
  spec: RolloutSpecSchema,
})

export const AnalysisTemplateSchema = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: MetadataSchema,
  spec: AnalysisTemplateSpecSchema,
})

export type Rollout = Static<typeof RolloutSchema>
export type RolloutSpec = Rollout['spec']
export type AnalysisTemplate = Static<typeof AnalysisTemplateSchema>
export type MetricSpec = Static<typeof MetricSchema>
export type StepSpec = Static<typeof StepSchema>
export type AnalysisRefSpec = NonNullable<StepSpec['analysis']>
export type AdvisorSpec = Static<typeof AdvisorSchema>
export type NotificationSpec = Static<typeof NotificationSchema>
