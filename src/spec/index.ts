/** The Kanari spec: schemas, loading with lines, validation, normalisation to the engine's plan. */
export * from './schema.js'
// The vocabularies the schemas are built from live in the layers that use them; re-exported so the
// spec's public surface stays whole.
export { BUILTIN_METRIC_NAMES, JUDGES } from '../analysis/vocabulary.js'
export {
  NOTIFICATION_PROVIDERS,
  ROUTER_CAPABILITIES,
  ROUTERS,
  WEBHOOK_TYPES,
} from '../engine/vocabulary.js'
export { loadDocuments, type LoadedDocument } from './load.js'
export { validateDocuments } from './validate/index.js'
export { normalizeRollout, rolloutTemplateHash, DEFAULTS } from './normalize/index.js'
export { parseDuration } from './duration.js'
export { formatProblem, type SpecProblem } from './problems.js'
