/** The pieces every format check is made of: a field's type, its length, the fields allowed. */

/** The problems with a payload, in the service's terms; none when it is valid. */
export type Check = (body: unknown) => string[]

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function chars(s: string): number {
  return Array.from(s).length
}

export function str(problems: string[], where: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'string') problems.push(`${where} must be a string`)
  else if (chars(v) < min || chars(v) > max)
    problems.push(`${where} must have ${min}..${max} characters (has ${chars(v)})`)
}

export function onlyKeys(
  problems: string[],
  where: string,
  o: Record<string, unknown>,
  keys: string[],
) {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) problems.push(`${where}.${k} is not a field of this format`)
}
