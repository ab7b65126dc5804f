/** The pure rollout engine: plan types, status, the reconcile function and user commands. */
export * from './plan.js'
export * from './status.js'
export * from './types.js'
export { reconcile } from './reconcile.js'
export { applyCommand, type RolloutCommand } from './commands.js'
export { nextPhase, transitions, type RolloutEvent } from './transitions.js'
export { PREVIEW_HEADER } from './tick.js'
