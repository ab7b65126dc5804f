/**
 * Secrets of a provider's authentication, read at each measurement (so a rotated token is picked up)
 * from the measuring process's environment or a file. A secret's value never appears in a message.
 */
import { readFile } from 'node:fs/promises'
import type { HttpAuth, SecretSource } from '../analysis/types.js'

/** Thrown when a secret cannot be read; the message says where it was looked for, never its value. */
export class SecretError extends Error {}

export async function readSecret(source: SecretSource): Promise<string> {
  if ('env' in source) {
    const value = process.env[source.env]
    if (value === undefined || value === '')
      throw new SecretError(
        `${source.env} is not set in the environment of the process that measures (the daemon: set it where \`kanari up\` starts)`,
      )
    return value
  }
  try {
    const text = await readFile(source.file, 'utf8')
    const value = text.trim()
    if (value === '') throw new SecretError(`the secret file ${source.file} is empty`)
    return value
  } catch (err) {
    if (err instanceof SecretError) throw err
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new SecretError(`cannot read the secret file ${source.file} (${code})`)
  }
}

/** The Authorization header for `auth`, or none. */
export async function authorization(auth: HttpAuth | undefined): Promise<Record<string, string>> {
  if (auth === undefined) return {}
  if (auth.kind === 'bearer') return { authorization: `Bearer ${await readSecret(auth.token)}` }
  const password = await readSecret(auth.password)
  const basic = Buffer.from(`${auth.username}:${password}`).toString('base64')
  return { authorization: `Basic ${basic}` }
}
