/**
 * A local rollout's notifier: messages wait in the store's outbox until sent, and the counts of how
 * each notification fared are kept there too, so both outlive a daemon restart.
 */
import type { NotificationPlan } from '../../engine/plan.js'
import { Notifier } from '../../notify/index.js'
import type { StateStore } from '../store/index.js'

export function rolloutNotifier(options: {
  name: string
  store: StateStore
  log: (line: string) => void
  /** The rollout's notifications as its plan stands now. */
  notifications: () => readonly NotificationPlan[]
  /** The directory the manifest was applied from. */
  baseDir: () => string
}): Notifier {
  const { name, store } = options
  return new Notifier({
    notifications: options.notifications,
    baseDir: options.baseDir,
    log: options.log,
    outbox: store.outbox,
    counts: {
      load: () => store.notificationCounts.load(name),
      save: (counts) => store.notificationCounts.save(name, counts),
    },
  })
}
