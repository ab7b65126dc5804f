/**
 * The CustomResourceDefinitions of `kanari.dev/v1alpha1` — Rollout, AnalysisTemplate,
 * ClusterAnalysisTemplate, AnalysisRun — generated from the spec's TypeBox schemas, with the status
 * subresource, printer columns, and CEL rules for what the schema alone cannot say, so the API
 * server itself refuses a bad Rollout with a message that names the field.
 */
import { AnalysisTemplateSpecSchema, RolloutSpecSchema } from '../../spec/schema.js'
import { ROUTERS } from '../../engine/vocabulary.js'
import { toOpenApiV3, type JsonSchema } from './structural.js'

export const GROUP = 'kanari.dev'
export const VERSION = 'v1alpha1'
export const API_VERSION = `${GROUP}/${VERSION}`

/** The condition types a Rollout's status carries (each usable with `kubectl wait --for=condition=…`). */
export const ROLLOUT_CONDITIONS = [
  'Available',
  'Progressing',
  'Frozen',
  'Paused',
  'Promoted',
  'RolledBack',
  'SpecValid',
] as const
export type RolloutConditionType = (typeof ROLLOUT_CONDITIONS)[number]

/** Most steps a Rollout may have (bounds the API server's cost estimate of the step rules). */
const MAX_STEPS = 100

const conditionsSchema: JsonSchema = {
  type: 'array',
  description:
    'the standard Kubernetes conditions; `kubectl wait --for=condition=Promoted` reads them',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status'],
    properties: {
      type: { type: 'string' },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: { type: 'string' },
      message: { type: 'string' },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      observedGeneration: { type: 'integer' },
    },
  },
}

/** What the controller writes under `status`: the engine's status, flattened, plus its own book. */
const rolloutStatusSchema: JsonSchema = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    observedGeneration: { type: 'integer' },
    phase: { type: 'string' },
    message: { type: 'string' },
    step: { type: 'string', description: 'current step / number of steps, e.g. "3/5"' },
    failedChecks: { type: 'integer' },
    conditions: conditionsSchema,
  },
}

/** CEL rules over `spec` (messages name the field and what to do). */
function rolloutSpecRules(): JsonSchema[] {
  const routerChecks = ROUTERS.map((r) => `has(self.trafficRouting.${r})`).join(', ')
  return [
    {
      rule: 'has(self.workload.targetRef)',
      fieldPath: '.workload',
      message:
        'spec.workload.targetRef must name the Deployment to roll out (kind: Deployment, name: …); process workloads run only in local mode',
    },
    {
      rule: '[has(self.strategy.canary), has(self.strategy.blueGreen), has(self.strategy.rolling)].exists_one(x, x)',
      fieldPath: '.strategy',
      message: 'spec.strategy needs exactly one of canary, blueGreen or rolling',
    },
    {
      rule: `!has(self.trafficRouting) || [${routerChecks}].filter(x, x).size() <= 1`,
      fieldPath: '.trafficRouting',
      message: `spec.trafficRouting names at most one router (${ROUTERS.join(', ')})`,
    },
    {
      rule: '!has(self.trafficRouting) || !has(self.trafficRouting.proxy)',
      fieldPath: '.trafficRouting',
      message:
        'spec.trafficRouting.proxy is the local-mode proxy; on Kubernetes use gatewayAPI, istio, nginx, smi or none',
    },
  ]
}

function rolloutSpecSchema(): JsonSchema {
  const spec = toOpenApiV3(RolloutSpecSchema)
  spec['x-kubernetes-validations'] = rolloutSpecRules()
  const canary = (
    (spec.properties as Record<string, JsonSchema>).strategy?.properties as Record<
      string,
      JsonSchema
    >
  ).canary
  const steps = (canary?.properties as Record<string, JsonSchema> | undefined)?.steps
  if (steps !== undefined) {
    steps.maxItems = MAX_STEPS
    const keys = Object.keys((steps.items as JsonSchema).properties as object)
    ;(steps.items as JsonSchema)['x-kubernetes-validations'] = [
      {
        rule: `[${keys.map((k) => `has(self.${k})`).join(', ')}].exists_one(x, x)`,
        message: `a step has exactly one of ${keys.join(', ')}`,
      },
    ]
  }
  return spec
}

/** The Kubernetes `metadata.name` rule of the spec (a DNS label): the one metadata rule a CRD may set. */
const metadataSchema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
  },
}

interface CrdInput {
  kind: string
  plural: string
  shortNames?: string[]
  scope: 'Namespaced' | 'Cluster'
  spec: JsonSchema
  status: JsonSchema
  columns: JsonSchema[]
}

function crd(input: CrdInput): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${input.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'kanari' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.kind.toLowerCase(),
        ...(input.shortNames === undefined ? {} : { shortNames: input.shortNames }),
        categories: ['kanari'],
      },
      scope: input.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: input.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: metadataSchema,
                spec: input.spec,
                status: input.status,
              },
            },
          },
        },
      ],
    },
  }
}

const age: JsonSchema = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }

const analysisRunSpec: JsonSchema = {
  type: 'object',
  required: ['rollout', 'runId', 'kind'],
  properties: {
    rollout: { type: 'string', description: 'the Rollout the run belongs to' },
    runId: { type: 'string' },
    kind: { type: 'string', enum: ['background', 'step', 'prePromotion', 'postPromotion'] },
    revision: { type: 'integer' },
    stepIndex: { type: 'integer' },
    judge: { type: 'string' },
    metrics: { type: 'array', items: { type: 'string' } },
  },
}

/** The four CRDs, in the order they are applied. */
export function kanariCrds(): JsonSchema[] {
  const templateSpec = toOpenApiV3(AnalysisTemplateSpecSchema)
  return [
    crd({
      kind: 'Rollout',
      plural: 'rollouts',
      shortNames: ['kro'],
      scope: 'Namespaced',
      spec: rolloutSpecSchema(),
      status: rolloutStatusSchema,
      columns: [
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        { name: 'Step', type: 'string', jsonPath: '.status.step' },
        {
          name: 'Weight',
          type: 'integer',
          jsonPath: '.status.traffic.canaryWeight',
          description: 'percent of traffic on the canary',
        },
        {
          name: 'Failed',
          type: 'integer',
          jsonPath: '.status.failedChecks',
          description: 'failed analysis checks of this release',
        },
        { name: 'Revision', type: 'integer', jsonPath: '.status.revision', priority: 1 },
        { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
        age,
      ],
    }),
    crd({
      kind: 'AnalysisTemplate',
      plural: 'analysistemplates',
      scope: 'Namespaced',
      spec: templateSpec,
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      columns: [age],
    }),
    crd({
      kind: 'ClusterAnalysisTemplate',
      plural: 'clusteranalysistemplates',
      scope: 'Cluster',
      spec: templateSpec,
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      columns: [age],
    }),
    crd({
      kind: 'AnalysisRun',
      plural: 'analysisruns',
      scope: 'Namespaced',
      spec: analysisRunSpec,
      status: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: { phase: { type: 'string' }, message: { type: 'string' } },
      },
      columns: [
        { name: 'Rollout', type: 'string', jsonPath: '.spec.rollout' },
        { name: 'Kind', type: 'string', jsonPath: '.spec.kind' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        age,
      ],
    }),
  ]
}
