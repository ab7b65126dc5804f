/** The format check of each receiver kind, by the name the spec uses for its provider. */
import type { ReceiverKind } from '../receivers.js'
import { checkDiscord } from './discord.js'
import type { Check } from './fields.js'
import { checkTeams } from './msteams.js'
import { checkSlack } from './slack.js'
import { checkWebhook } from './webhook.js'

export { checkDiscord, checkSlack, checkTeams, checkWebhook, type Check }

export const FORMAT_CHECKS: Record<ReceiverKind, Check> = {
  slack: checkSlack,
  msteams: checkTeams,
  discord: checkDiscord,
  webhook: checkWebhook,
}
