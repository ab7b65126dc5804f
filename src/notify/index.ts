/** Notifications: the notifier (an EventSink), its payload formats, and reading webhook secrets. */
export { Notifier, type NotifierOptions } from './notifier.js'
export { wants } from './wants.js'
export type { CountsKeeper, KeptCounts, NotificationStats } from './stats.js'
export { noticeOf, type Notice } from './notice.js'
export { PAYLOADS } from './formats/index.js'
export { readWebhookUrl, describeSource, redact, SecretError } from './secret.js'
export { postJson, type Delivery } from './deliver.js'
