/**
 * The worker thread that reads watched flag files (flag-file-read.ts): parsing and checking a large
 * file takes seconds, which must not stall the daemon's requests. The flags go back in small
 * batches, so taking them in never blocks the daemon's event loop for long either.
 */
import { parentPort } from 'node:worker_threads'
import { readFlagFile } from './flag-file-read.js'
import type { ReaderReply, ReaderRequest } from './flag-file-reader.js'

/** Flags per message: each batch is received (and its changed flags compiled) between requests. */
const BATCH = 100

const port = parentPort
if (port === null) throw new Error('flag-file-worker.ts runs as a worker thread')
port.on('message', ({ id, path, lastHash }: ReaderRequest) => {
  const post = (reply: ReaderReply) => port.postMessage(reply)
  try {
    const read = readFlagFile(path, lastHash)
    if (read.kind !== 'flags') return post({ id, done: read })
    post({ id, metadata: read.metadata })
    for (let i = 0; i < read.flags.length; i += BATCH)
      post({ id, flags: read.flags.slice(i, i + BATCH) })
    post({ id, done: { ...read, flags: [] } })
  } catch (err) {
    post({ id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  }
})
