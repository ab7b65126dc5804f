/**
 * Reading a notification's webhook URL where the spec says it is — a variable of this process's
 * environment or a file — each time it is needed, so a rotated secret is picked up. Errors say where
 * it was looked for and what is wrong, never what the value is.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { SecretSource } from '../engine/plan.js'

export class SecretError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message)
    this.name = 'SecretError'
  }
}

/** Where the secret is looked for, as a person reads it (no value). */
export function describeSource(source: SecretSource, baseDir: string): string {
  return 'env' in source
    ? `environment variable ${source.env}`
    : `file ${resolve(baseDir, source.file)}`
}

/** The webhook URL from `source`; throws a SecretError when it is missing or is not an http(s) URL. */
export function readWebhookUrl(
  source: SecretSource,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  let value: string | undefined
  if ('env' in source) {
    value = env[source.env]
    if (value === undefined || value.trim() === '')
      throw new SecretError(
        `environment variable ${source.env} is ${value === undefined ? 'not set' : 'empty'} in the daemon's environment`,
        `set it where the daemon starts (it takes the environment of \`kanari up\` or of the first \`kanari apply\`), then \`kanari down\` and start it again; or use urlFrom.file`,
      )
  } else {
    const path = resolve(baseDir, source.file)
    try {
      value = readFileSync(path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new SecretError(
        `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable')}`,
        'urlFrom.file is read by the daemon, relative to the manifest; check the path and its permissions',
      )
    }
  }
  const url = value.trim()
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    throw new SecretError(
      `${describeSource(source, baseDir)} does not hold an http:// or https:// URL`,
      'it must hold only the webhook URL the service gave you',
    )
  return url
}

/** `text` with every appearance of `secret` (and of its path and query, where the token lives) hidden. */
export function redact(text: string, secret: string): string {
  let out = text.split(secret).join('<webhook URL>')
  try {
    const { pathname, search } = new URL(secret)
    const tail = pathname + search
    if (tail.length > 1) out = out.split(tail).join('/<secret>')
  } catch {
    // not a URL: nothing more to hide
  }
  return out
}
