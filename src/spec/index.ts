/** The Kanari spec: schemas, loading with lines, validation, normalisation to the engine's plan. */
export * from './schema.js'
export { loadDocuments, type LoadedDocument } from './load.js'
export { validateDocuments, ROUTER_CAPABILITIES } from './validate.js'
export { normalizeRollout, rolloutTemplateHash, DEFAULTS } from './normalize.js'
export { parseDuration } from './duration.js'
export { formatProblem, type SpecProblem } from './problems.js'
