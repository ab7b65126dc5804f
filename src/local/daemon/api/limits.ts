/** Sizes the API keeps to, for the daemon that applies them and the clients that page past them. */

/** The latest events a rollout's view carries (`GET /api/v1/rollouts/NAME`). */
export const VIEW_EVENTS = 50

/** The latest events `GET /api/v1/rollouts/NAME/events` returns. */
export const EVENTS_PAGE = 500
