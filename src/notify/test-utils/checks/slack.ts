/** mrkdwn text: &, < and > only as Slack's escapes (no links or mentions are sent). */
function mrkdwnEscaped(problems: string[], where: string, text: string): void {
  if (/[<>]/.test(text)) problems.push(`${where} has an unescaped < or >`)
  if (/&(?!(amp|lt|gt);)/.test(text)) problems.push(`${where} has an unescaped &`)
}

function slackText(problems: string[], where: string, t: unknown, max: number): void {
  if (!isObject(t)) return void problems.push(`${where} must be a text object`)
  if (t.type !== 'mrkdwn' && t.type !== 'plain_text')
    problems.push(`${where}.type must be mrkdwn or plain_text`)
  str(problems, `${where}.text`, t.text, 1, max)
  if (t.type === 'mrkdwn' && typeof t.text === 'string')
    mrkdwnEscaped(problems, `${where}.text`, t.text)
}

/** Slack incoming webhooks: `text` and Block Kit blocks, with mrkdwn escaping. */
import { isObject, onlyKeys, str, type Check } from './fields.js'

/** Slack incoming webhook: `text`, and Block Kit blocks within their documented limits. */
export const checkSlack: Check = (body) => {
  const p: string[] = []
  if (!isObject(body)) return ['the payload must be a JSON object']
  onlyKeys(p, 'payload', body, [
    'text',
    'blocks',
    'attachments',
    'thread_ts',
    'mrkdwn',
    'username',
    'icon_emoji',
    'icon_url',
    'channel',
    'unfurl_links',
    'unfurl_media',
  ])
  if (body.text === undefined && body.blocks === undefined) p.push('needs text or blocks')
  if (body.text !== undefined) {
    str(p, 'text', body.text, 1, 40_000)
    if (typeof body.text === 'string') mrkdwnEscaped(p, 'text', body.text)
  }
  if (body.blocks === undefined) return p
  if (!Array.isArray(body.blocks) || body.blocks.length === 0 || body.blocks.length > 50)
    return [...p, 'blocks must be a list of 1..50 blocks']
  body.blocks.forEach((b: unknown, i) => {
    const at = `blocks[${i}]`
    if (!isObject(b)) return void p.push(`${at} must be an object`)
    switch (b.type) {
      case 'header':
        onlyKeys(p, at, b, ['type', 'text', 'block_id'])
        if (!isObject(b.text) || b.text.type !== 'plain_text')
          p.push(`${at}.text must be a plain_text object`)
        else str(p, `${at}.text.text`, b.text.text, 1, 150)
        break
      case 'section':
        onlyKeys(p, at, b, ['type', 'text', 'fields', 'block_id', 'accessory', 'expand'])
        if (b.text === undefined && b.fields === undefined) p.push(`${at} needs text or fields`)
        if (b.text !== undefined) slackText(p, `${at}.text`, b.text, 3000)
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > 10)
            p.push(`${at}.fields must be a list of 1..10 text objects`)
          else b.fields.forEach((f: unknown, j) => slackText(p, `${at}.fields[${j}]`, f, 2000))
        }
        break
      case 'context':
        onlyKeys(p, at, b, ['type', 'elements', 'block_id'])
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10)
          p.push(`${at}.elements must be a list of 1..10 elements`)
        else b.elements.forEach((e: unknown, j) => slackText(p, `${at}.elements[${j}]`, e, 3000))
        break
      case 'divider':
        onlyKeys(p, at, b, ['type', 'block_id'])
        break
      default:
        p.push(`${at}.type ${JSON.stringify(b.type)} is not a block this receiver knows`)
    }
  })
  return p
}
