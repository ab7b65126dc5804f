/**
 * Feature flags in flagd's format, evaluated in-process: the definition and its checks, the
 * evaluator (JsonLogic plus flagd's operations), OFREP's wire shapes, and the fractional split a
 * flag rollout moves. Pure: no I/O, no clock; the daemon, the CLI and the OpenFeature provider build on it.
 */
export * from './definition.js'
export * from './flag-set.js'
export { compileLogic, JsonLogicError, truthy, type Logic } from './json-logic.js'
export { bucketOf, murmur3 } from './murmur3.js'
export { FLAGD_OPERATIONS, MAX_TOTAL_WEIGHT, pickWeighted } from './operations.js'
export * from './ofrep.js'
export * from './split.js'
export { compileFlag, FlagCompiler, type CompiledFlag } from './compiled-flag.js'
export { MAX_NESTING, nestsDeeperThan } from './nesting.js'
