/**
 * `spec.analysis.advisor`: one of an OpenAI-compatible endpoint (url + model, a key from an
 * environment variable or a file) or a GGUF model file, a timeout, and the opt-in pause — which only
 * the canary strategy's automatic promotion has.
 */
import { AdvisorSchema } from '../schema.js'
import { quote } from '../shown-value.js'
import type { DocumentProblems } from './document-problems.js'
import { checkDuration } from './durations.js'
import { soundSections } from './sound-parts.js'

export function checkAdvisor(
  p: DocumentProblems,
  advisor: unknown,
  strategy: string | undefined,
): void {
  const a = soundSections(AdvisorSchema, advisor)
  if (a === undefined) return
  const path = ['spec', 'analysis', 'advisor']
  const { url, model, modelFile, apiKeyEnv, apiKeyFile } = a.sound
  if (!a.broken.has('url') && !a.broken.has('modelFile')) {
    if (url === undefined && modelFile === undefined)
      p.add(path, 'needs url (an OpenAI-compatible API, with model) or modelFile (a GGUF file)')
    if (url !== undefined && modelFile !== undefined) p.add(path, 'give url or modelFile, not both')
  }
  if (url !== undefined && !/^https?:\/\/[^/\s]+/.test(url))
    p.add([...path, 'url'], `must be an http:// or https:// URL (got ${quote(url)})`)
  if (url !== undefined && model === undefined && !a.broken.has('model'))
    p.add(path, 'needs model with url: the model name the endpoint serves')
  if (modelFile !== undefined) {
    for (const key of ['model', 'apiKeyEnv', 'apiKeyFile'] as const)
      if (a.given.has(key)) p.add([...path, key], 'goes with url, not modelFile')
    if (!modelFile.endsWith('.gguf'))
      p.add([...path, 'modelFile'], `must be a .gguf file (got ${quote(modelFile)})`)
  }
  if (apiKeyEnv !== undefined && apiKeyFile !== undefined)
    p.add(path, 'give apiKeyEnv or apiKeyFile, not both')
  if (apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv))
    p.add([...path, 'apiKeyEnv'], `must be an environment variable name (got ${quote(apiKeyEnv)})`)
  checkDuration(p, [...path, 'timeout'], a.sound.timeout)
  if (a.sound.pauseOnDisagreement === true && strategy !== undefined && strategy !== 'canary')
    p.add(
      [...path, 'pauseOnDisagreement'],
      `only the canary strategy promotes automatically after its steps; ${strategy} has no such promotion to pause`,
    )
}
