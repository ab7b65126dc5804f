/** Microsoft Teams workflow webhooks: a message with one Adaptive Card attachment. */
import { isObject, onlyKeys, str, type Check } from './fields.js'

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
