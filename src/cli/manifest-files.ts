/**
 * `-f/--filename` as kubectl has it: one or more files after one flag or repeated flags, a directory
 * (its *.yaml, *.yml and *.json files, in name order) or `-` for standard input.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from '../errors.js'
import { STDIN_NAME } from '../manifests/rollout-set.js'

export interface ManifestFile {
  name: string
  text: string
}

const MANIFEST = /\.(ya?ml|json)$/i

function unreadable(path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code
  return new InputError(
    `cannot read ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
    { hint: 'check the path given to -f' },
  )
}

/** Reads every manifest named; throws an InputError naming the first path that cannot be read. */
export function readManifestFiles(paths: readonly string[]): ManifestFile[] {
  if (paths.length === 0)
    throw new InputError('no file given', { hint: 'pass one or more with -f rollout.yaml' })
  const out: ManifestFile[] = []
  for (const path of paths) {
    if (path === '-') {
      out.push({ name: STDIN_NAME, text: readFileSync(0, 'utf8') })
      continue
    }
    let isDir: boolean
    try {
      isDir = statSync(path).isDirectory()
    } catch (err) {
      throw unreadable(path, err)
    }
    const names = isDir
      ? readdirSync(path)
          .filter((n) => MANIFEST.test(n))
          .sort()
          .map((n) => join(path, n))
      : [path]
    if (isDir && names.length === 0)
      throw new InputError(`${path} is a directory with no .yaml, .yml or .json files`, {
        hint: 'point -f at the manifests themselves',
      })
    for (const name of names) {
      try {
        out.push({ name, text: readFileSync(name, 'utf8') })
      } catch (err) {
        throw unreadable(name, err)
      }
    }
  }
  return out
}
