/**
 * Microsoft Teams: an Adaptive Card in a message envelope — the format both a Teams Workflows
 * webhook ("When a Teams webhook request is received") and an incoming webhook accept. The title is
 * coloured by severity, the facts are a FactSet.
 */
import type { Notice } from '../notice.js'

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive'
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json'
export const ADAPTIVE_CARD_VERSION = '1.4'

const COLOR = { info: 'Good', warn: 'Warning', error: 'Attention' } as const

function textBlock(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'TextBlock', text, wrap: true, ...extra }
}

export function teamsPayload(n: Notice): unknown {
  const body: unknown[] = [
    textBlock(n.title, {
      size: 'Large',
      weight: 'Bolder',
      color: n.reason === 'Promoted' || n.severity !== 'info' ? COLOR[n.severity] : 'Default',
    }),
    textBlock(n.text),
    {
      type: 'FactSet',
      facts: n.facts.map((f) => ({ title: f.label, value: f.value })),
    },
  ]
  if (n.explanation !== null) body.push(textBlock(`**Why:** ${n.explanation}`))
  if (n.next !== null) body.push(textBlock(`**Next:** ${n.next}`))
  body.push(
    textBlock(`Kanari · ${n.severity} · ${n.reason} · ${new Date(n.at).toISOString()}`, {
      isSubtle: true,
      size: 'Small',
    }),
  )
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: ADAPTIVE_CARD_SCHEMA,
          type: 'AdaptiveCard',
          version: ADAPTIVE_CARD_VERSION,
          body,
        },
      },
    ],
  }
}
