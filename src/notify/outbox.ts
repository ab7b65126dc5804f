/**
 * Waiting messages kept where a restart finds them. A write that fails only costs the durability of
 * that message (it is still sent from memory); a removal that fails only costs a repeat after a
 * restart, never a loss.
 */
import type { Notice } from './notice.js'

/** Where a rollout's waiting messages are kept across restarts. */
export interface Outbox {
  add(rollout: string, notice: Notice): number
  remove(id: number): void
  /** The rollout's waiting messages, oldest first. */
  pending(rollout: string): { id: number; notice: Notice }[]
}

/** A message waiting to be sent. */
export interface Queued {
  notice: Notice
  /** Its row in the outbox, when it was kept there. */
  id: number | undefined
}

/** The notifier's use of its outbox (none: messages live in memory only): failures are logged. */
export class KeptMessages {
  constructor(
    private readonly outbox: Outbox | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Keeps `notice` until it is forgotten; its row, or none when it lives in memory only. */
  keep(rollout: string, notice: Notice): number | undefined {
    if (this.outbox === undefined) return undefined
    try {
      return this.outbox.add(rollout, notice)
    } catch (err) {
      this.log(
        `rollout ${rollout}: notification ${notice.notification}: ${notice.reason} kept in memory only (${err instanceof Error ? err.message : String(err)})`,
      )
      return undefined
    }
  }

  /** Removes a message that is done with (sent, given up on or dropped) from the outbox. */
  forget(item: Queued | undefined): void {
    if (item?.id === undefined || this.outbox === undefined) return
    try {
      this.outbox.remove(item.id)
    } catch (err) {
      // Left in the outbox, it is sent once more after a restart: a repeat, never a loss.
      this.log(
        `notification ${item.notice.notification}: sent ${item.notice.reason} stays in the outbox (${err instanceof Error ? err.message : String(err)})`,
      )
    }
  }

  /** The messages kept for `rollout` before a restart, oldest first; none when they cannot be read. */
  pending(rollout: string): Queued[] {
    if (this.outbox === undefined) return []
    try {
      return this.outbox.pending(rollout)
    } catch (err) {
      this.log(
        `rollout ${rollout}: notifications kept from before the restart cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      )
      return []
    }
  }
}
