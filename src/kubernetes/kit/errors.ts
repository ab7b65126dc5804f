/** Errors from the API server, with its Status (reason, message, causes) kept for people and code. */

/** The `Status` object the API server returns with an error. */
export interface KubeStatus {
  kind?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: {
    name?: string
    kind?: string
    causes?: { reason?: string; message?: string; field?: string }[]
  }
}

export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status: 404 not found, 409 conflict or already exists, 422 invalid… */
    readonly status: number,
    readonly kubeStatus: KubeStatus | undefined,
    body: string,
  ) {
    super(
      `${method} ${path}: ${status} ${kubeStatus?.reason ?? ''}${kubeStatus?.message === undefined ? (body === '' ? '' : ` ${body.slice(0, 300)}`) : ` — ${kubeStatus.message}`}`.trim(),
    )
    this.name = 'KubeApiError'
  }

  /** The server's reason (`NotFound`, `Conflict`, `AlreadyExists`, `Invalid`, `Forbidden`…). */
  get reason(): string | undefined {
    return this.kubeStatus?.reason
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404
}

/** 409: a stale resourceVersion (Conflict) or a create of something that exists (AlreadyExists). */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists'
}
