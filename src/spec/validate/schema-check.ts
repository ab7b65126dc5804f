/**
 * The structural check of a document against its kind's TypeBox schema (ajv), with ajv's errors
 * turned into one plain problem per field at its file:line, then the fields the schema does not know.
 */
import { Ajv, type ErrorObject } from 'ajv'
import { formatPath } from '../problems.js'
import { AnalysisTemplateSchema, RolloutSchema } from '../schema.js'
import { describeValue } from '../shown-value.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkUnknownFields } from './unknown-fields.js'

const SCHEMAS = { Rollout: RolloutSchema, AnalysisTemplate: AnalysisTemplateSchema } as const

/** A kind Kanari has a schema for. */
export type SchemaKind = keyof typeof SCHEMAS

// verbose: each error carries the value it is about, for "(got …)". No optimising pass over the
// generated code: it took about half of the compile, which every process that checks a spec pays
// (lint, the daemon, each test file), and the checks are the same without it.
const ajv = new Ajv({
  allErrors: true,
  strict: false,
  validateFormats: false,
  verbose: true,
  code: { optimize: false },
})
const validators = {
  Rollout: ajv.compile(RolloutSchema),
  AnalysisTemplate: ajv.compile(AnalysisTemplateSchema),
}

/** Whether `kind` is one Kanari has a schema for. */
export function isSchemaKind(kind: unknown): kind is SchemaKind {
  return typeof kind === 'string' && Object.hasOwn(SCHEMAS, kind)
}

/** Reports every schema error and unknown field of a document of a known kind. */
export function checkSchema(p: DocumentProblems, kind: SchemaKind, value: unknown): void {
  const validate = validators[kind]
  if (!validate(value)) schemaErrors(p, validate.errors ?? [])
  checkUnknownFields(p, SCHEMAS[kind], value, [])
}

function ajvPath(instancePath: string): Path {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

/** JSON Schema's type names as the problems say them. */
const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
}

/** The envelope (apiVersion, kind) is checked before the schema, with messages of its own. */
const ENVELOPE = new Set(['/apiVersion', '/kind'])

function schemaErrors(p: DocumentProblems, errors: ErrorObject[]): void {
  const seen = new Set<string>()
  // int-or-string fields produce one error per branch plus the anyOf: report them once.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  for (const e of errors) {
    if (ENVELOPE.has(e.instancePath)) continue
    const path = ajvPath(e.instancePath)
    let message = e.message ?? 'is invalid'
    if (anyOfPaths.has(e.instancePath)) {
      if (e.keyword !== 'anyOf') continue
      message = `must be a whole number or a string like "30s" or "25%" (got ${describeValue(e.data)})`
    } else if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty
      path.push(missing)
      if (path.length === 1 && ENVELOPE.has(`/${missing}`)) continue
      message = 'is required'
    } else if (e.keyword === 'type') {
      const type = String((e.params as { type: unknown }).type)
      message = `must be ${TYPE_NAMES[type] ?? type} (got ${describeValue(e.data)})`
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')} (got ${describeValue(e.data)})`
    } else if (e.keyword === 'pattern' && path.at(-1) === 'name') {
      message = `must be lower-case letters, digits and dashes, starting and ending with a letter or digit (got ${describeValue(e.data)})`
    }
    const key = `${formatPath(path)}|${message}`
    if (seen.has(key)) continue
    seen.add(key)
    p.add(path, message)
  }
}
