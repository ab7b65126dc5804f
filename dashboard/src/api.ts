/**
 * The daemon's API as the dashboard calls it: reads are open; actions carry the session cookie and
 * the dashboard's marker header, and a refusal comes back as an ApiError with the daemon's words.
 */
import type { MetricEvidence } from '../../src/analysis/types.js'
import type { StoredEvent } from '../../src/controller/ports.js'
import type { RolloutPlan } from '../../src/engine/plan.js'
import type { RolloutStatus } from '../../src/engine/status.js'
import type { ProcessRow } from '../../src/report/process-table.js'
import type {
  RolloutSample,
  RolloutSummary,
  SessionState,
} from '../../src/local/daemon/dashboard/wire.js'

export type { MetricEvidence, RolloutSample, RolloutSummary, SessionState, StoredEvent }

export interface VersionView {
  revision: number
  role: string
  desired: number
  ready: number
  restarts: number
  crashLooping: boolean
  requests: number
  errors: number
}

/** `GET /api/v1/rollouts/NAME`: what `kanari get` shows. */
export interface RolloutView {
  name: string
  revision: number
  serviceUrl: string
  status: RolloutStatus
  plan: RolloutPlan
  versions: VersionView[]
  events: StoredEvent[]
  processTable: ProcessRow[]
  /** What `undo` can go back to; the default is the newest promoted, healthy revision. */
  undo: {
    defaultRevision: number | null
    revisions: { revision: number; outcome: 'healthy' | 'rolledBack' | 'never-stable' }[]
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | undefined,
  ) {
    super(message)
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(method === 'GET'
        ? {}
        : { 'content-type': 'application/json', 'x-kanari-dashboard': '1' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text === '' ? {} : JSON.parse(text)
  } catch {
    throw new ApiError(
      res.status,
      'KANARI_INTERNAL',
      `the daemon answered ${res.status}`,
      undefined,
    )
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string; hint?: string } }).error
    throw new ApiError(
      res.status,
      e?.code ?? 'KANARI_INTERNAL',
      e?.message ?? `HTTP ${res.status}`,
      e?.hint,
    )
  }
  return parsed as T
}

const rolloutPath = (name: string) => `/api/v1/rollouts/${encodeURIComponent(name)}`

export const api = {
  summaries: () =>
    call<{ items: RolloutSummary[] }>('GET', '/api/v1/dashboard/rollouts').then((r) => r.items),
  view: (name: string) => call<RolloutView>('GET', `${rolloutPath(name)}?events=200`),
  samples: (name: string) =>
    call<{ items: RolloutSample[] }>(
      'GET',
      `/api/v1/dashboard/rollouts/${encodeURIComponent(name)}/samples`,
    ).then((r) => r.items),
  session: () => call<SessionState>('GET', '/api/v1/dashboard/session'),
  /** Starts a session from a pasted API token (sent once, in a header, never in a URL). */
  signIn: async (token: string) => {
    const res = await fetch('/api/v1/dashboard/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token.trim()}`,
      },
      body: '{}',
    })
    if (!res.ok)
      throw new ApiError(
        res.status,
        'KANARI_UNAUTHORIZED',
        'that token is not this daemon’s',
        undefined,
      )
  },
  signOut: () => call<SessionState>('DELETE', '/api/v1/dashboard/session'),
  command: (name: string, command: string, body: Record<string, unknown> = {}) =>
    call<RolloutView>('POST', `${rolloutPath(name)}/${command}`, body),
  undo: (name: string, toRevision: number, force: boolean) =>
    call<unknown>('POST', `${rolloutPath(name)}/undo`, {
      toRevision,
      ...(force ? { force: true } : {}),
    }),
}
