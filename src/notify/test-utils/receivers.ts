/**
 * Local stand-ins for Slack, Microsoft Teams and Discord webhooks, and for a generic JSON receiver:
 * real HTTP servers on 127.0.0.1 that check each payload field by field against the service's
 * documented format (Block Kit limits and mrkdwn escaping; the Adaptive Card message envelope;
 * Discord's execute-webhook params and embed limits) and answer as the service does — accepted,
 * refused with its error, rate limited — or are down, or hang.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { EVENT_REASONS } from '../../engine/events.js'
import { SEVERITIES } from '../../engine/vocabulary.js'

export type ReceiverKind = 'slack' | 'msteams' | 'discord' | 'webhook'

/** How the receiver answers: as the service does, or not at all, or with an error. */
export type ReceiverMode =
  | 'accept'
  /** Reads the request and never answers. */
  | 'hang'
  /** Answers 429 with the service's wait (Retry-After 1 s) this many times, then accepts. */
  | { rateLimited: number }
  /** Answers this status (and body) this many times (all, if omitted), then accepts. */
  | { status: number; body?: string; times?: number }

export interface ReceivedRequest {
  /** When it arrived (epoch ms). */
  at: number
  path: string
  contentType: string | undefined
  body: unknown
  /** What does not match the service's documented format; empty when the payload is valid. */
  problems: string[]
}

export interface Receiver {
  kind: ReceiverKind
  /** The full webhook URL, with its secret path. */
  url: string
  /** The secret part of the URL: it must never appear in logs or views. */
  token: string
  mode: ReceiverMode
  /** Every request that reached the receiver, in order. */
  requests: ReceivedRequest[]
  /** The payloads accepted (valid, and answered as delivered). */
  accepted(): unknown[]
  close(): Promise<void>
}

const path: Record<ReceiverKind, (token: string) => string> = {
  slack: (t) => `/services/T0KANARI/B0KANARI/${t}`,
  msteams: (t) => `/workflows/${t}/triggers/manual/paths/invoke`,
  discord: (t) => `/api/webhooks/1234567890/${t}`,
  webhook: (t) => `/hooks/${t}`,
}

/** A receiver of `kind` on 127.0.0.1 with a fresh secret path. */
export async function startReceiver(
  kind: ReceiverKind,
  mode: ReceiverMode = 'accept',
): Promise<Receiver> {
  const token = randomBytes(12).toString('hex')
  const secretPath = path[kind](token)
  const requests: ReceivedRequest[] = []
  const accepted: unknown[] = []
  let refusalsLeft =
    typeof mode === 'object' ? ('rateLimited' in mode ? mode.rateLimited : (mode.times ?? -1)) : 0
  const hanging = new Set<ServerResponse>()
  const receiver: Receiver = {
    kind,
    url: '',
    token,
    mode,
    requests,
    accepted: () => [...accepted],
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((req, res) => {
    const at = Date.now()
    void readBody(req).then((text) => {
      const contentType = req.headers['content-type']
      let body: unknown
      const problems: string[] = []
      if (!/^application\/json\b/.test(contentType ?? ''))
        problems.push(`content-type must be application/json (got ${String(contentType)})`)
      try {
        body = JSON.parse(text) as unknown
        problems.push(...CHECKS[kind](body))
      } catch {
        problems.push('body is not JSON')
      }
      requests.push({ at, path: req.url ?? '', contentType, body, problems })
      const m = receiver.mode
      if (req.method !== 'POST' || req.url !== secretPath) return notFound(kind, res)
      if (m === 'hang') {
        hanging.add(res)
        return
      }
      if (typeof m === 'object' && refusalsLeft !== 0) {
        refusalsLeft--
        if ('rateLimited' in m) return rateLimited(kind, res)
        res.writeHead(m.status, { 'content-type': 'text/plain' }).end(m.body ?? '')
        return
      }
      if (problems.length > 0) return invalid(kind, res, problems)
      accepted.push(body)
      answerAccepted(kind, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${secretPath}`
  return receiver
}

/** A webhook URL where nothing listens: a port taken and released. */
export async function downUrl(kind: ReceiverKind): Promise<{ url: string; token: string }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const token = randomBytes(12).toString('hex')
  return { url: `http://127.0.0.1:${port}${path[kind](token)}`, token }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
}

// ── answers, as each service gives them ─────────────────────────────────────────────────────────

function answerAccepted(kind: ReceiverKind, res: ServerResponse): void {
  if (kind === 'slack') res.writeHead(200, { 'content-type': 'text/html' }).end('ok')
  // A Teams workflow accepts the request and runs the flow later.
  else if (kind === 'msteams') res.writeHead(202).end()
  // Without ?wait=true Discord answers 204 No Content.
  else if (kind === 'discord') res.writeHead(204).end()
  else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
}

function invalid(kind: ReceiverKind, res: ServerResponse, problems: string[]): void {
  if (kind === 'slack') res.writeHead(400, { 'content-type': 'text/html' }).end('invalid_payload')
  else if (kind === 'discord')
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ code: 50035, message: 'Invalid Form Body', errors: problems }))
  else
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { code: 'InvalidRequestContent', message: problems[0] } }))
}

function notFound(kind: ReceiverKind, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end(kind === 'slack' ? 'no_service' : '')
}

function rateLimited(kind: ReceiverKind, res: ServerResponse): void {
  if (kind === 'discord')
    res
      .writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
      .end(
        JSON.stringify({ message: 'You are being rate limited.', retry_after: 1, global: false }),
      )
  else res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('rate_limited')
}

// ── format checks ───────────────────────────────────────────────────────────────────────────────

type Check = (body: unknown) => string[]

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function chars(s: string): number {
  return Array.from(s).length
}

function str(problems: string[], where: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'string') problems.push(`${where} must be a string`)
  else if (chars(v) < min || chars(v) > max)
    problems.push(`${where} must have ${min}..${max} characters (has ${chars(v)})`)
}

function onlyKeys(problems: string[], where: string, o: Record<string, unknown>, keys: string[]) {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) problems.push(`${where}.${k} is not a field of this format`)
}

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

const TEXT_SIZES = ['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']
const TEXT_WEIGHTS = ['Default', 'Lighter', 'Bolder']
const TEXT_COLORS = ['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']

/** A Teams message with one Adaptive Card attachment (TextBlock and FactSet elements). */
export const checkTeams: Check = (body) => {
  const p: string[] = []
  if (!isObject(body)) return ['the payload must be a JSON object']
  if (body.type !== 'message') p.push('type must be "message"')
  if (!Array.isArray(body.attachments) || body.attachments.length === 0)
    return [...p, 'attachments must be a non-empty list']
  body.attachments.forEach((a: unknown, i) => {
    const at = `attachments[${i}]`
    if (!isObject(a)) return void p.push(`${at} must be an object`)
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive')
      p.push(`${at}.contentType must be application/vnd.microsoft.card.adaptive`)
    if (a.contentUrl !== undefined && a.contentUrl !== null && typeof a.contentUrl !== 'string')
      p.push(`${at}.contentUrl must be null or a string`)
    const c = a.content
    if (!isObject(c)) return void p.push(`${at}.content must be the card object`)
    if (c.type !== 'AdaptiveCard') p.push(`${at}.content.type must be "AdaptiveCard"`)
    if (typeof c.version !== 'string' || !/^1\.\d$/.test(c.version))
      p.push(`${at}.content.version must be a version such as "1.4"`)
    if (c.$schema !== undefined && typeof c.$schema !== 'string')
      p.push(`${at}.content.$schema must be a string`)
    if (!Array.isArray(c.body) || c.body.length === 0)
      return void p.push(`${at}.content.body must be a non-empty list`)
    c.body.forEach((e: unknown, j) => {
      const where = `${at}.content.body[${j}]`
      if (!isObject(e)) return void p.push(`${where} must be an object`)
      if (e.type === 'TextBlock') {
        onlyKeys(p, where, e, ['type', 'text', 'wrap', 'size', 'weight', 'color', 'isSubtle'])
        str(p, `${where}.text`, e.text, 1, 100_000)
        if (e.wrap !== undefined && typeof e.wrap !== 'boolean')
          p.push(`${where}.wrap must be a boolean`)
        if (e.isSubtle !== undefined && typeof e.isSubtle !== 'boolean')
          p.push(`${where}.isSubtle must be a boolean`)
        for (const [key, allowed] of [
          ['size', TEXT_SIZES],
          ['weight', TEXT_WEIGHTS],
          ['color', TEXT_COLORS],
        ] as const)
          if (e[key] !== undefined && !allowed.includes(e[key] as string))
            p.push(`${where}.${key} must be one of ${allowed.join(', ')}`)
      } else if (e.type === 'FactSet') {
        onlyKeys(p, where, e, ['type', 'facts'])
        if (!Array.isArray(e.facts) || e.facts.length === 0)
          p.push(`${where}.facts must be a non-empty list`)
        else
          e.facts.forEach((f: unknown, k) => {
            if (!isObject(f) || typeof f.title !== 'string' || typeof f.value !== 'string')
              p.push(`${where}.facts[${k}] must be { title, value } strings`)
          })
      } else p.push(`${where}.type ${JSON.stringify(e.type)} is not an element this receiver knows`)
    })
  })
  return p
}

/** Discord execute-webhook JSON params, with embeds within Discord's embed limits. */
export const checkDiscord: Check = (body) => {
  const p: string[] = []
  if (!isObject(body)) return ['the payload must be a JSON object']
  onlyKeys(p, 'payload', body, [
    'content',
    'username',
    'avatar_url',
    'tts',
    'embeds',
    'allowed_mentions',
    'components',
    'flags',
    'thread_name',
    'applied_tags',
    'poll',
  ])
  if (body.content === undefined && body.embeds === undefined && body.poll === undefined)
    p.push('needs one of content, embeds, file or poll')
  if (body.content !== undefined) str(p, 'content', body.content, 0, 2000)
  if (body.username !== undefined) {
    str(p, 'username', body.username, 1, 80)
    if (typeof body.username === 'string' && /discord|clyde/i.test(body.username))
      p.push('username may not contain "discord" or "clyde"')
  }
  if (body.allowed_mentions !== undefined) {
    const m = body.allowed_mentions
    if (
      !isObject(m) ||
      !Array.isArray(m.parse) ||
      m.parse.some((x) => !['roles', 'users', 'everyone'].includes(x as string))
    )
      p.push('allowed_mentions.parse must list roles, users or everyone')
  }
  if (body.embeds === undefined) return p
  if (!Array.isArray(body.embeds) || body.embeds.length > 10)
    return [...p, 'embeds must be a list of up to 10 embeds']
  let total = 0
  body.embeds.forEach((e: unknown, i) => {
    const at = `embeds[${i}]`
    if (!isObject(e)) return void p.push(`${at} must be an object`)
    onlyKeys(p, at, e, [
      'title',
      'description',
      'url',
      'timestamp',
      'color',
      'footer',
      'image',
      'thumbnail',
      'author',
      'fields',
    ])
    if (e.title !== undefined) {
      str(p, `${at}.title`, e.title, 1, 256)
      if (typeof e.title === 'string') total += chars(e.title)
    }
    if (e.description !== undefined) {
      str(p, `${at}.description`, e.description, 1, 4096)
      if (typeof e.description === 'string') total += chars(e.description)
    }
    if (
      e.color !== undefined &&
      (!Number.isInteger(e.color) || (e.color as number) < 0 || (e.color as number) > 0xffffff)
    )
      p.push(`${at}.color must be an integer 0..16777215`)
    if (
      e.timestamp !== undefined &&
      (typeof e.timestamp !== 'string' ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(e.timestamp))
    )
      p.push(`${at}.timestamp must be an ISO8601 timestamp`)
    if (e.footer !== undefined) {
      if (!isObject(e.footer)) p.push(`${at}.footer must be an object`)
      else {
        str(p, `${at}.footer.text`, e.footer.text, 1, 2048)
        if (typeof e.footer.text === 'string') total += chars(e.footer.text)
      }
    }
    if (e.fields !== undefined) {
      if (!Array.isArray(e.fields) || e.fields.length > 25)
        p.push(`${at}.fields must be up to 25 fields`)
      else
        e.fields.forEach((f: unknown, j) => {
          const where = `${at}.fields[${j}]`
          if (!isObject(f)) return void p.push(`${where} must be an object`)
          onlyKeys(p, where, f, ['name', 'value', 'inline'])
          str(p, `${where}.name`, f.name, 1, 256)
          str(p, `${where}.value`, f.value, 1, 1024)
          if (f.inline !== undefined && typeof f.inline !== 'boolean')
            p.push(`${where}.inline must be a boolean`)
          if (typeof f.name === 'string') total += chars(f.name)
          if (typeof f.value === 'string') total += chars(f.value)
        })
    }
  })
  if (total > 6000) p.push(`the embeds hold ${total} characters; Discord takes at most 6000`)
  return p
}

/** Kanari's generic JSON webhook payload (docs/notifications.md). */
export const checkWebhook: Check = (body) => {
  const p: string[] = []
  if (!isObject(body)) return ['the payload must be a JSON object']
  onlyKeys(p, 'payload', body, [
    'kind',
    'version',
    'rollout',
    'notification',
    'severity',
    'reason',
    'revision',
    'canaryWeight',
    'stepIndex',
    'at',
    'title',
    'text',
    'explanation',
    'next',
    'event',
  ])
  if (body.kind !== 'KanariNotification') p.push('kind must be "KanariNotification"')
  if (body.version !== 1) p.push('version must be 1')
  str(p, 'rollout', body.rollout, 1, 63)
  str(p, 'notification', body.notification, 1, 1000)
  if (!(SEVERITIES as readonly unknown[]).includes(body.severity))
    p.push('severity must be info, warn or error')
  if (!(EVENT_REASONS as readonly unknown[]).includes(body.reason))
    p.push('reason must be an event reason')
  if (!Number.isInteger(body.revision)) p.push('revision must be an integer')
  if (typeof body.canaryWeight !== 'number' || body.canaryWeight < 0 || body.canaryWeight > 100)
    p.push('canaryWeight must be a number 0..100')
  if (!Number.isInteger(body.stepIndex)) p.push('stepIndex must be an integer')
  if (typeof body.at !== 'string' || Number.isNaN(Date.parse(body.at)))
    p.push('at must be an ISO timestamp')
  str(p, 'title', body.title, 1, 10_000)
  str(p, 'text', body.text, 0, 100_000)
  for (const k of ['explanation', 'next'])
    if (body[k] !== null && typeof body[k] !== 'string') p.push(`${k} must be a string or null`)
  if (!isObject(body.event) || body.event.reason !== body.reason)
    p.push('event must be the engine event, with the same reason')
  return p
}

const CHECKS: Record<ReceiverKind, Check> = {
  slack: checkSlack,
  msteams: checkTeams,
  discord: checkDiscord,
  webhook: checkWebhook,
}
