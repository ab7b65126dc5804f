/** The payload of each notification provider, by the name the spec uses. */
import type { NotificationProvider } from '../../engine/plan.js'
import type { Notice } from '../notice.js'
import { discordPayload } from './discord.js'
import { teamsPayload } from './msteams.js'
import { slackPayload } from './slack.js'
import { webhookPayload } from './webhook.js'

export const PAYLOADS: Record<NotificationProvider, (n: Notice) => unknown> = {
  slack: slackPayload,
  msteams: teamsPayload,
  discord: discordPayload,
  webhook: webhookPayload,
}
