/**
 * Slack incoming webhooks: `text` (the notification's fallback and preview) and Block Kit `blocks` —
 * a header, what happened, the facts as section fields, the explanation and what to do, and a
 * context line. mrkdwn text escapes &, < and > as Slack asks; lengths stay under Block Kit's limits.
 */
import type { Notice } from '../notice.js'
import { clip } from './text.js'

/** Block Kit limits: header text, section text, one field's text, fields per section. */
export const SLACK_LIMITS = { header: 150, section: 3000, field: 2000, fields: 10 } as const

const ICON = { info: ':large_blue_circle:', warn: ':warning:', error: ':red_circle:' } as const

/** Slack's mrkdwn control characters, escaped as its formatting rules ask. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Escaped text cut to `max` characters, never inside an escape (`&am…` would show as is). */
function clipEscaped(escaped: string, max: number): string {
  const cut = clip(escaped, max)
  if (cut === escaped) return cut
  const body = cut.slice(0, -1)
  const amp = body.lastIndexOf('&')
  return (amp >= 0 && !body.slice(amp).includes(';') ? body.slice(0, amp) : body) + '…'
}

function mrkdwn(text: string, max: number): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: clipEscaped(slackEscape(text), max) }
}

export function slackPayload(n: Notice): unknown {
  const blocks: unknown[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(n.title, SLACK_LIMITS.header), emoji: true },
    },
    { type: 'section', text: mrkdwn(n.text, SLACK_LIMITS.section) },
    {
      type: 'section',
      fields: n.facts
        .slice(0, SLACK_LIMITS.fields)
        .map((f) => mrkdwn(`*${f.label}*\n${f.value}`, SLACK_LIMITS.field)),
    },
  ]
  if (n.explanation !== null)
    blocks.push({ type: 'section', text: mrkdwn(`*Why:* ${n.explanation}`, SLACK_LIMITS.section) })
  if (n.next !== null)
    blocks.push({ type: 'section', text: mrkdwn(`*Next:* ${n.next}`, SLACK_LIMITS.section) })
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `${ICON[n.severity]} Kanari · ${n.severity} · ${n.reason} · ${new Date(n.at).toISOString()}`,
        SLACK_LIMITS.section,
      ),
    ],
  })
  return {
    text: clipEscaped(slackEscape(`${n.title}: ${n.text}`), SLACK_LIMITS.section),
    blocks,
  }
}
