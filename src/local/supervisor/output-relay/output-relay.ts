/**
 * What the output relay does: find every replica FIFO of a state directory (`logs/<set>/<n>.out`)
 * and drain each into its log, with the cap and drop-and-count rules of every drain, keeping the last
 * lines of each in memory. A FIFO that is removed (its replica is gone for good) is read out and let go.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { FifoDrain, fifoInode, logPathOf } from '../fifo-drain.js'
import { RELAY_PROTOCOL, type RelayStatus } from './protocol.js'

export class OutputRelay {
  /** By FIFO path. */
  readonly #drains = new Map<string, FifoDrain>()
  readonly startedAt = Date.now()

  constructor(
    readonly stateDir: string,
    private readonly note: (line: string) => void,
  ) {}

  get draining(): number {
    return this.#drains.size
  }

  /** The FIFOs it drains. */
  get fifos(): string[] {
    return [...this.#drains.keys()]
  }

  /** Starts draining FIFOs that appeared and lets go of those removed or replaced. */
  scan(): void {
    const found = this.#fifos()
    for (const [path, drain] of this.#drains) {
      if (found.get(path) === drain.inode) continue
      drain.stop({ flush: true })
      this.#drains.delete(path)
    }
    for (const [path, inode] of found) {
      if (this.#drains.has(path)) continue
      this.#drains.set(path, new FifoDrain(path, inode, this.note))
    }
  }

  status(): RelayStatus {
    const logs: RelayStatus['logs'] = {}
    for (const drain of this.#drains.values()) {
      const { droppedBytes, dropReason } = drain.log
      logs[logPathOf(drain.fifoPath)] = {
        droppedBytes,
        ...(dropReason === undefined ? {} : { dropReason }),
        recentLines: drain.recent.last(),
        relayedBytes: drain.relayedBytes,
      }
    }
    return { protocol: RELAY_PROTOCOL, pid: process.pid, startedAt: this.startedAt, logs }
  }

  /** Copies what is waiting in every FIFO and stops. */
  close(): void {
    for (const drain of this.#drains.values()) drain.stop({ flush: true })
    this.#drains.clear()
  }

  /** FIFO path → inode, for every `logs/<set>/<n>.out` that is a FIFO. */
  #fifos(): Map<string, number> {
    const logs = join(this.stateDir, 'logs')
    const found = new Map<string, number>()
    let sets: string[]
    try {
      sets = readdirSync(logs, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    } catch {
      return found
    }
    for (const set of sets) {
      let names: string[]
      try {
        names = readdirSync(join(logs, set))
      } catch {
        continue
      }
      for (const name of names) {
        if (!name.endsWith('.out')) continue
        const path = join(logs, set, name)
        const inode = fifoInode(path)
        if (inode !== undefined) found.set(path, inode)
      }
    }
    return found
  }
}
