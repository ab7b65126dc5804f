/** The Discord format: execute-webhook JSON params, and each embed within its limits. */
import { chars, isObject, onlyKeys, str, type Check } from './fields.js'

/**
 * Checks one embed within Discord's limits; returns the characters it counts towards the 6000 all
 * embeds of a message may hold.
 */
function embedChars(p: string[], at: string, e: unknown): number {
  if (!isObject(e)) {
    p.push(`${at} must be an object`)
    return 0
  }
  let total = 0
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
  return total
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
    total += embedChars(p, `embeds[${i}]`, e)
  })
  if (total > 6000) p.push(`the embeds hold ${total} characters; Discord takes at most 6000`)
  return p
}
