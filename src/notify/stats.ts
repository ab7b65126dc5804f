/**
 * A notification's counts: what `kanari get` and the API show, and the part of them kept across
 * restarts (read once at the first need, saved only when they changed).
 */
import type { NotificationPlan, Severity } from '../engine/plan.js'

/** How one notification has fared: since it was first sent, when its counts are kept (see `counts`). */
export interface NotificationStats {
  name: string
  provider: NotificationPlan['provider']
  severity: Severity
  /** Messages the service accepted. */
  sent: number
  /** Messages given up on after their last attempt. */
  failed: number
  /** Messages dropped unsent: the queue was full, or the daemon stopped first with no outbox. */
  dropped: number
  /** Attempts made again after a failure. */
  retries: number
  /** Messages waiting, including one being sent. */
  queued: number
  lastSentAt: number | null
  /** The latest failure, without the secret URL. */
  lastError: string | null
  lastErrorAt: number | null
}

/** What a notification's counts are made of, as kept across restarts. */
export type KeptCounts = Pick<
  NotificationStats,
  'sent' | 'failed' | 'dropped' | 'retries' | 'lastSentAt' | 'lastError' | 'lastErrorAt'
>

/**
 * A rollout's notification counts, by notification name, kept where a restart finds them. A failed
 * save costs only the counts since the last one.
 */
export interface CountsKeeper {
  load(): Record<string, KeptCounts>
  save(counts: Record<string, KeptCounts>): void
}

/** A notification's counts when it is first seen: zero, or those kept from before a restart. */
export function startingStats(
  plan: NotificationPlan,
  kept: KeptCounts | undefined,
): NotificationStats {
  return {
    name: plan.name,
    provider: plan.provider,
    severity: plan.severity,
    sent: 0,
    failed: 0,
    dropped: 0,
    retries: 0,
    queued: 0,
    lastSentAt: null,
    lastError: null,
    lastErrorAt: null,
    ...kept,
  }
}

function keptOf(s: NotificationStats): KeptCounts {
  return {
    sent: s.sent,
    failed: s.failed,
    dropped: s.dropped,
    retries: s.retries,
    lastSentAt: s.lastSentAt,
    lastError: s.lastError,
    lastErrorAt: s.lastErrorAt,
  }
}

/** One rollout's kept counts, between the notifier and its keeper (none: nothing is kept). */
export class KeptCountsBook {
  /** The counts kept from before this start, read once. */
  #kept: Record<string, KeptCounts> | undefined
  /** The counts as last saved (JSON), so an unchanged notification costs no write. */
  #savedText: string | undefined

  constructor(
    private readonly keeper: CountsKeeper | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The counts kept from before this start, by notification name; none when they cannot be read. */
  kept(): Record<string, KeptCounts> {
    if (this.#kept !== undefined) return this.#kept
    this.#kept = {}
    try {
      this.#kept = this.keeper?.load() ?? {}
    } catch (err) {
      this.log(
        `notification counts from before the restart cannot be read; they start at zero (${err instanceof Error ? err.message : String(err)})`,
      )
    }
    return this.#kept
  }

  /** Saves `current` (and the kept counts of notifications not sending now) when they changed. */
  save(current: Iterable<NotificationStats>): void {
    const keeper = this.keeper
    if (keeper === undefined) return
    const counts: Record<string, KeptCounts> = { ...this.kept() }
    for (const stats of current) counts[stats.name] = keptOf(stats)
    const text = JSON.stringify(counts)
    if (text === this.#savedText) return
    try {
      keeper.save(counts)
      this.#savedText = text
    } catch {
      // tried again at the next change; the counts in memory are still right
    }
  }
}
