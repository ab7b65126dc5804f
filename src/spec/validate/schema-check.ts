/**
 * The structural check of a document against its kind's TypeBox schema (ajv), with ajv's errors
 * turned into one plain problem per field at its file:line, then the fields the schema does not know.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { TSchema } from 'typebox'
import { formatPath } from '../problems.js'
import { AnalysisTemplateSchema, RolloutSchema } from '../schema.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkUnknownFields } from './unknown-fields.js'

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false })
const validators: Record<string, ValidateFunction> = {
  Rollout: ajv.compile(RolloutSchema),
  AnalysisTemplate: ajv.compile(AnalysisTemplateSchema),
}
const schemas: Record<string, TSchema> = {
  Rollout: RolloutSchema,
  AnalysisTemplate: AnalysisTemplateSchema,
}

/** Whether `kind` is one Kanari has a schema for. */
export function isSchemaKind(kind: unknown): kind is string {
  return typeof kind === 'string' && Object.hasOwn(validators, kind)
}

/** Reports every schema error and unknown field of a document of a known kind. */
export function checkSchema(p: DocumentProblems, kind: string, value: unknown): void {
  const validate = validators[kind]
  if (validate !== undefined && !validate(value)) schemaErrors(p, validate.errors ?? [])
  checkUnknownFields(p, schemas[kind], value, [])
}

function ajvPath(instancePath: string): Path {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

function schemaErrors(p: DocumentProblems, errors: ErrorObject[]): void {
  const seen = new Set<string>()
  // int-or-string fields produce one error per branch plus the anyOf: report them once.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  for (const e of errors) {
    const path = ajvPath(e.instancePath)
    let message = e.message ?? 'is invalid'
    if (anyOfPaths.has(e.instancePath)) {
      if (e.keyword !== 'anyOf') continue
      message = 'must be a whole number or a string like "30s" or "25%"'
    } else if (e.keyword === 'required') {
      path.push((e.params as { missingProperty: string }).missingProperty)
      message = 'is required'
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`
    } else if (e.keyword === 'pattern' && path.at(-1) === 'name') {
      message =
        'must be lower-case letters, digits and dashes, starting and ending with a letter or digit'
    }
    const key = `${formatPath(path)}|${message}`
    if (seen.has(key)) continue
    seen.add(key)
    p.add(path, message)
  }
}
