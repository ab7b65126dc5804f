/** Each rollout's notification counts, by notification name, kept in `meta` across restarts. */
import type { KeptCounts } from '../../notify/stats.js'
import type { MetaTable } from './meta-table.js'

/** Meta key prefix of each rollout's notification counts. */
const NOTIFICATION_COUNTS = 'notify-counts:'

export class NotificationCounts {
  constructor(private readonly meta: MetaTable) {}

  /** A rollout's counts as last saved (none: `{}`). */
  load(rollout: string): Record<string, KeptCounts> {
    const text = this.meta.get(NOTIFICATION_COUNTS + rollout)
    return text === undefined ? {} : (JSON.parse(text) as Record<string, KeptCounts>)
  }

  save(rollout: string, counts: Record<string, KeptCounts>): void {
    this.meta.set(NOTIFICATION_COUNTS + rollout, JSON.stringify(counts))
  }

  /** Forgets a rollout's counts. Call within a write. */
  deleteOf(rollout: string): void {
    this.meta.delete(NOTIFICATION_COUNTS + rollout)
  }
}
