/**
 * Unix sockets of the local runtime's helper processes (proxies, the output relay): a path that fits
 * in sockaddr_un, listening on it with mode 0600 after clearing one a dead process left, and their
 * JSON answers.
 */
import { createHash } from 'node:crypto'
import { chmodSync, rmSync } from 'node:fs'
import type { Server, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Unix socket paths longer than this do not fit in sockaddr_un. */
const MAX_SOCKET_PATH = 100

/** `path` if it fits, else `<tmpdir>/<prefix>-<hash of path>.sock`. */
export function fittingSocketPath(path: string, prefix: string): string {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return path
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 16)
  return join(tmpdir(), `${prefix}-${hash}.sock`)
}

/**
 * Listens on `socketPath`, readable by this user only. A socket file already there is removed
 * first: the caller has made sure nobody answers on it (it was left by a process that died).
 */
export async function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  rmSync(socketPath, { force: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  chmodSync(socketPath, 0o600)
}

/** Answers with `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}
