/** Notifications: the notifier (an EventSink), its payload formats, and reading webhook secrets. */
export {
  Notifier,
  wants,
  type CountsKeeper,
  type KeptCounts,
  type NotificationStats,
  type NotifierOptions,
} from './notifier.js'
export { noticeOf, type Notice } from './notice.js'
export { PAYLOADS } from './formats/index.js'
export { readWebhookUrl, describeSource, redact, SecretError } from './secret.js'
export { postJson, type Delivery } from './deliver.js'
