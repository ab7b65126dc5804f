/**
 * The worker thread that reads watched flag files (flag-file-read.ts): parsing and checking a large
 * file takes seconds, which must not stall the daemon's requests. Only the flags that changed since
 * the version the daemon serves go back (with the order of all keys), in small batches, so taking
 * them in never blocks the daemon's event loop for long either.
 */
import { parentPort } from 'node:worker_threads'
import { readFlagFile } from './flag-file-read.js'
import type { ReaderReply, ReaderRequest } from './flag-file-reader.js'

/** Flags per message: each batch is received (and its changed flags compiled) between requests. */
const BATCH = 100

/** The texts of the flags last sent for each file, by the hash of the file's text they came from. */
const sent = new Map<string, { hash: string; texts: Map<string, string> }>()

const port = parentPort
if (port === null) throw new Error('flag-file-worker.ts runs as a worker thread')
port.on('message', ({ id, path, lastHash, servedHash }: ReaderRequest) => {
  const post = (reply: ReaderReply) => port.postMessage(reply)
  try {
    const read = readFlagFile(path, lastHash)
    if (read.kind !== 'flags') return post({ id, done: read })
    const base = sent.get(path)
    const known = base !== undefined && base.hash === servedHash ? base.texts : new Map()
    sent.set(path, { hash: read.hash, texts: new Map(read.flags.map(([k, , text]) => [k, text])) })
    const changed = read.flags.filter(([key, , text]) => known.get(key) !== text)
    post({ id, metadata: read.metadata, order: read.flags.map(([key]) => key) })
    for (let i = 0; i < changed.length; i += BATCH) post({ id, flags: changed.slice(i, i + BATCH) })
    post({ id, done: { ...read, flags: [] } })
  } catch (err) {
    post({ id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  }
})
