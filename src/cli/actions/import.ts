/**
 * `kanari import`: reads the manifests as lint and apply do, converts them, and prints the Kanari
 * manifests (YAML on stdout, the lists on stderr) or one JSON object with everything.
 */
import {
  formatLeftAlone,
  formatNote,
  formatNotCarried,
  importManifests,
  toYaml,
} from '../../import/index.js'
import { formatProblem } from '../../spec/problems.js'
import type { ImportOptions } from '../commands/import.js'
import type { CliContext } from '../context.js'
import { readManifestFiles } from '../manifest-files.js'

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

export async function importCommand(ctx: CliContext, options: ImportOptions): Promise<void> {
  const files = readManifestFiles(options.filename)
  const result = importManifests(files, { strict: options.strict === true })
  const { documents, leftAlone, notCarried, notes, lint } = result
  if (options.strict === true && (notCarried.length > 0 || lint.length > 0)) ctx.exitCode = 1
  if (options.output === 'json') {
    ctx.io.stdout.write(JSON.stringify(result, null, 2) + '\n')
    return
  }
  // stdout is the manifests alone (lint's line numbers are theirs); everything else goes to stderr.
  ctx.io.stdout.write(toYaml(documents))
  const err: string[] = [
    `converted ${plural(documents.length, 'manifest')} from ${plural(files.length, 'file')}; ${leftAlone.length === 0 ? '' : `${plural(leftAlone.length, 'other object')} left alone; `}${notCarried.length === 0 ? 'every field was carried over' : `${plural(notCarried.length, 'field')} could not be carried over`}`,
  ]
  if (leftAlone.length > 0) {
    err.push(`${plural(leftAlone.length, 'object')} left alone (not converted):`)
    err.push(...leftAlone.map((o) => `  ${formatLeftAlone(o)}`))
  }
  if (notCarried.length > 0) {
    err.push(`${plural(notCarried.length, 'field')} not carried over:`)
    err.push(...notCarried.map((n) => `  ${formatNotCarried(n)}`))
  }
  if (notes.length > 0) {
    err.push(`${plural(notes.length, 'note')}:`)
    err.push(...notes.map((n) => `  ${formatNote(n)}`))
  }
  if (lint.length > 0) {
    err.push(
      `kanari lint finds ${plural(lint.length, 'problem')} in the result; fix them before applying:`,
    )
    err.push(...lint.map((p) => `  ${formatProblem(p)}`))
  }
  ctx.io.stderr.write(err.join('\n') + '\n')
  await Promise.resolve()
}
