/**
 * The output relay as a process of its own, one per state directory, so replicas keep being served
 * while no daemon runs: Node writes to a pipe synchronously, and a replica whose output nobody
 * drains stops once the FIFO's 64 KiB are full. Started (detached) by the supervisor with
 * `--state-dir DIR`; its socket is the lock — a relay that finds another one answering exits.
 */
import { mkdirSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { OutputRelay } from './output-relay.js'
import { OwnLog, HELPER_LOG_CAP_BYTES } from '../../own-log.js'
import {
  callRelay,
  RELAY,
  relayLogPath,
  relaySocketPath,
  type RelayHello,
  type RelayStatus,
} from './protocol.js'
import { startRelayServer } from './relay-server.js'

/** New FIFOs are found at once when the supervisor asks; this scan is for the rest. */
const SCAN_MS = 2_000
/** With no FIFO to drain and nobody asking for this long, nothing needs the relay: it exits. */
const IDLE_EXIT_MS = 60_000

function hello(line: RelayHello): void {
  // The supervisor reads this one line, then stops listening; nothing else goes to stdout.
  try {
    writeSync(1, JSON.stringify(line) + '\n')
  } catch {
    // nobody listening
  }
}

const at = process.argv.indexOf('--state-dir')
const stateDir = at >= 0 ? process.argv[at + 1] : undefined
if (stateDir === undefined || stateDir === '') {
  hello({ relaying: false, reason: 'usage: main --state-dir DIR' })
  process.exit(2)
}
const socketPath = relaySocketPath(stateDir)
/** The relay's own lines, to stderr (`logs/relay.log`, kept under its cap); lost, never thrown, on a full disk. */
const ownLog = new OwnLog(2, relayLogPath(stateDir), HELPER_LOG_CAP_BYTES)
function note(line: string): void {
  ownLog.write(`${new Date().toISOString()} relay: ${line}`)
}

const other = await callRelay<RelayStatus>(socketPath, 'GET', RELAY.status, 2_000).catch(
  () => undefined,
)
if (other !== undefined) {
  hello({ relaying: false, pid: other.pid, reason: 'another relay answers' })
  process.exit(0)
}

const relay = new OutputRelay(stateDir, note)
let lastAsked = Date.now()
let closing = false
const close = (why: string): void => {
  if (closing) return
  closing = true
  note(`closing (${why}): copying what waits in ${relay.draining} FIFOs`)
  relay.close()
  server.close()
  rmSync(socketPath, { force: true })
  process.exit(0)
}
mkdirSync(dirname(socketPath), { recursive: true })
let server: Awaited<ReturnType<typeof startRelayServer>>
try {
  server = await startRelayServer(relay, socketPath, {
    onRequest: () => (lastAsked = Date.now()),
    onClose: () => close('asked to'),
  })
} catch (err) {
  const reason = `cannot listen on ${socketPath}: ${(err as Error).message}`
  note(reason)
  hello({ relaying: false, reason })
  process.exit(1)
}
relay.scan()
setInterval(() => {
  relay.scan()
  if (relay.draining === 0 && Date.now() - lastAsked > IDLE_EXIT_MS) close('idle')
}, SCAN_MS)
process.on('SIGTERM', () => close('SIGTERM'))
process.on('SIGINT', () => close('SIGINT'))
process.on('SIGPIPE', () => undefined)
hello({ relaying: true, pid: process.pid })
note(`draining ${relay.draining} FIFOs of ${stateDir}, socket ${socketPath}`)
