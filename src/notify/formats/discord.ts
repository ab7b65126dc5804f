/**
 * Discord webhooks: one embed (title, description, colour by severity, fields, footer, timestamp)
 * within Discord's embed limits, and no mentions parsed, so no text of ours can ping anyone.
 */
import type { Notice } from '../notice.js'
import { clip, lengthOf } from './text.js'

/** Discord's embed limits (characters; fields per embed; all text of the embeds together). */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const

const COLOR = { info: 0x1d9bd1, warn: 0xecb22e, error: 0xe01e5a } as const
const PROMOTED = 0x2eb67d

export function discordPayload(n: Notice): unknown {
  const fields = n.facts.map((f) => ({
    name: clip(f.label, DISCORD_LIMITS.fieldName),
    value: clip(f.value, DISCORD_LIMITS.fieldValue),
    inline: true,
  }))
  if (n.explanation !== null)
    fields.push({
      name: 'Why',
      value: clip(n.explanation, DISCORD_LIMITS.fieldValue),
      inline: false,
    })
  if (n.next !== null)
    fields.push({ name: 'Next', value: clip(n.next, DISCORD_LIMITS.fieldValue), inline: false })
  const title = clip(n.title, DISCORD_LIMITS.title)
  const footer = clip(`Kanari · ${n.severity} · ${n.reason}`, DISCORD_LIMITS.footer)
  const used =
    lengthOf(title) +
    lengthOf(footer) +
    fields.reduce((sum, f) => sum + lengthOf(f.name) + lengthOf(f.value), 0)
  return {
    username: 'Kanari',
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title,
        description: clip(
          n.text,
          Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - used),
        ),
        color: n.reason === 'Promoted' ? PROMOTED : COLOR[n.severity],
        fields: fields.slice(0, DISCORD_LIMITS.fields),
        footer: { text: footer },
        timestamp: new Date(n.at).toISOString(),
      },
    ],
  }
}
