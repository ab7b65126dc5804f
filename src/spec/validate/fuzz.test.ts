/**
 * The examples mutated thousands of ways and fed to lint, simulate and apply's parsing: the answer is
 * problems with a path and a line and exit 1, never exit 70 or an error that is not a KanariError;
 * restyled without a change of meaning, they still pass with the same plans.
 * A fixed seed and a small count by default; KANARI_PROPERTY_SEED and KANARI_PROPERTY_RUNS replay a
 * failure or widen a run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { main } from '../../cli/main.js'
import { ValidationError } from '../../errors.js'
import {
  checkRolloutSet,
  parseRolloutSet,
  planFor,
  templateHash,
  type SourceFile,
} from '../../manifests/rollout-set.js'
import { formatProblem, type SpecProblem } from '../problems.js'
import { mutate, mutationArb, type ManifestSet } from '../test-utils/manifest-mutations.js'
import { restyleArb, textSpliceArb, writeRestyled, writeSet } from '../test-utils/manifest-text.js'
import { propertyRuns } from '../../test-utils/property-runs.js'

const { seed: SEED, numRuns: RUNS } = propertyRuns(60)

const examples: ManifestSet = readdirSync('examples')
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((name) => ({
    name,
    docs: parseAllDocuments(readFileSync(join('examples', name), 'utf8')).map(
      (d) => d.toJS() as unknown,
    ),
  }))

const dir = mkdtempSync(join(tmpdir(), 'kanari-fuzz-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d: Buffer) => (out += d.toString()))
  stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await main(args, { io: { stdout, stderr } })
  return { code, stdout: out, stderr: err }
}

/** Problems about a whole document (or file) have no path: the line says which. */
const WHOLE_DOCUMENT = /^(YAML|must be a mapping|has no documents|not a YAML stream)/
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/** What is wrong with where a problem points, if anything (checked for thousands of problems). */
function misplaced(p: SpecProblem, files: SourceFile[]): string | undefined {
  const file = files.find((f) => f.name === p.file)
  if (file === undefined) return 'in a file not given'
  const lines = file.text.split('\n').length
  if (!Number.isInteger(p.line) || p.line < 1 || p.line > lines) return `no line ${p.line}`
  if (typeof p.path !== 'string') return 'no path'
  if (p.path === '' && !WHOLE_DOCUMENT.test(p.message)) return 'no path'
  if (p.message === '') return 'no message'
  if (UNSAFE.test(p.message) || UNSAFE.test(p.path)) return 'control characters'
  return undefined
}

/** The paths in a plan whose value is NaN or infinite: a spec that validates never makes one. */
function notANumber(value: unknown, path = 'plan'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path]
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) => notANumber(v, `${path}.${k}`))
}

/** Lint, apply's parsing and simulate on one set of files; returns what each answered. */
async function throughEveryPath(
  files: SourceFile[],
): Promise<{ valid: boolean; simulated: boolean }> {
  for (const f of files) writeFileSync(f.name, f.text)
  const names = files.map((f) => f.name)

  // (a) lint, as the CLI runs it
  const lint = await run('lint', '-f', ...names, '-o', 'json')
  expect([0, 1], lint.stderr).toContain(lint.code)
  const report = JSON.parse(lint.stdout) as { valid: boolean; problems: SpecProblem[] }
  expect(lint.code).toBe(report.valid ? 0 : 1)
  expect(
    report.problems.flatMap((p) => {
      const wrong = misplaced(p, files)
      return wrong === undefined ? [] : [`${wrong}: ${formatProblem(p)}`]
    }),
  ).toEqual([])

  // (c) apply: what the daemon runs before it stores anything
  let parsed: ReturnType<typeof parseRolloutSet> | undefined
  try {
    parsed = parseRolloutSet(files)
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).details).toEqual(report.problems)
  }
  expect(parsed !== undefined).toBe(report.valid)
  for (const { doc } of parsed?.rollouts ?? []) {
    const plan = planFor(doc, parsed?.templates ?? [], 1)
    expect(plan.name).toBe(doc.metadata.name)
    expect(notANumber(plan), 'NaN or Infinity in the plan').toEqual([])
    expect(templateHash(doc)).toMatch(/^[0-9a-f]{10}$/)
  }

  // (b) simulate, briefly
  const rollouts = parsed?.rollouts.length ?? 0
  const sim = await run(
    'simulate',
    '-f',
    ...names,
    ...(rollouts > 1 ? ['--rollout', parsed?.rollouts[0]?.doc.metadata.name ?? ''] : []),
    '--max-seconds',
    '40',
    '--rps',
    '10',
    '-o',
    'json',
  )
  if (sim.code !== 0) {
    expect(sim.code, sim.stderr).toBe(1)
    const { error } = JSON.parse(sim.stdout) as { error: { code: string } }
    expect(error.code, sim.stderr).not.toBe('KANARI_INTERNAL')
  }
  // A valid set with one Rollout (or one chosen) always simulates.
  if (report.valid && rollouts > 0) expect(sim.code, sim.stderr).toBe(0)
  return { valid: report.valid, simulated: sim.code === 0 }
}

describe('mutated manifests', () => {
  it(
    'never crash lint, simulate or apply, and every problem has a path and a line',
    async () => {
      const seen = { cases: 0, mutations: 0, valid: 0, simulated: 0 }
      const caseArb = fc.record({
        picks: fc.array(fc.nat({ max: examples.length - 1 }), { minLength: 1, maxLength: 2 }),
        mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        splices: fc.oneof(
          { weight: 5, arbitrary: fc.constant([]) },
          fc.array(textSpliceArb, { minLength: 1, maxLength: 2 }),
        ),
      })
      await fc.assert(
        fc.asyncProperty(caseArb, async ({ picks, mutations, splices }) => {
          // The same example twice is two files (and every name in it twice).
          const set: ManifestSet = picks.flatMap((i, n) => {
            const example = examples[i]
            return example === undefined
              ? []
              : [{ ...example, name: join(dir, `${n}-${example.name}`) }]
          })
          const mutated = mutations.reduce(mutate, set)
          const result = await throughEveryPath(writeSet(mutated, splices))
          seen.cases += 1
          seen.mutations += mutations.length + splices.length
          if (result.valid) seen.valid += 1
          if (result.simulated) seen.simulated += 1
        }),
        { seed: SEED, numRuns: RUNS },
      )
      console.log(
        `mutated manifests, seed ${SEED}: ${seen.cases} cases (${seen.mutations} mutations), ${seen.valid} still valid, ${seen.simulated} simulated`,
      )
      // However few the cases, each path was taken: refused sets, sets still valid, and simulations.
      expect(seen.valid).toBeGreaterThan(0)
      expect(seen.cases - seen.valid).toBeGreaterThan(0)
      expect(seen.simulated).toBeGreaterThan(0)
    },
    Math.max(120_000, RUNS * 100),
  )

  it('restyled (YAML style, key order, comments, duration spellings), still pass with the same plans', () => {
    const original = new Map(
      examples.map((e) => {
        const set = parseRolloutSet([
          { name: e.name, text: readFileSync(join('examples', e.name), 'utf8') },
        ])
        return [e.name, set.rollouts.map((r) => planFor(r.doc, set.templates, 1))]
      }),
    )
    fc.assert(
      fc.property(fc.nat({ max: examples.length - 1 }), restyleArb, (i, restyle) => {
        const example = examples[i]
        if (example === undefined) return
        const files = writeRestyled([example], restyle)
        const { set, problems } = checkRolloutSet(files)
        expect(problems.map(formatProblem), files[0]?.text).toEqual([])
        expect(set.rollouts.map((r) => planFor(r.doc, set.templates, 1))).toEqual(
          original.get(example.name),
        )
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 2) },
    )
  })
})
