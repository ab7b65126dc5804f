/**
 * The flag service in-process, with real files, its real worker thread and a real SQLite store:
 * strict JSON for `.json` files, deep rules, reloads that swap the whole set at once and compile
 * only what changed, and their audit entries.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ValidationError } from '../../errors.js'
import { waitFor } from '../../../test/helpers/processes.js'
import { FlagService } from './flag-service.js'

let dir: string
let service: FlagService | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kanari-flag-service-'))
})
afterEach(() => {
  service?.close()
  service = undefined
  rmSync(dir, { recursive: true, force: true })
})

const open = () => (service = new FlagService({ stateDir: dir, log: () => undefined, pollMs: 200 }))

const flag = (defaultVariant: 'on' | 'off', targeting?: unknown) => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant,
  ...(targeting === undefined ? {} : { targeting }),
})

/** `levels` ifs, each the previous one's else (2 JSON levels each): "on" when x is 1, else "off". */
function deepRule(levels: number): string {
  return `${'{"if":[{"==":[{"var":"x"},1]},"on",'.repeat(levels)}"off"${']}'.repeat(levels)}`
}

describe('flag files', () => {
  it('reads a .json file as strict JSON: a trailing comma is refused with a JSON error and its line', async () => {
    const file = join(dir, 'flags.json')
    writeFileSync(
      file,
      '{\n  "flags": {\n    "a": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},\n  }\n}\n',
    )
    const s = open()
    const err = await s.addSource(file, 'test').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    const message = (err as Error).message
    expect(message).toContain('flags.json:4:3 JSON syntax: ')
    expect(message).toContain('no trailing commas')
    expect(message).not.toContain('YAML syntax')
    expect(s.list()).toEqual([])
    expect(s.sources()).toEqual([])
  })

  it('reads a .yaml file as YAML, where a trailing comma in a flow mapping is allowed', async () => {
    const file = join(dir, 'flags.yaml')
    writeFileSync(
      file,
      'flags:\n  a: {state: ENABLED, variants: {on: true, off: false}, defaultVariant: on,}\n',
    )
    const s = open()
    await s.addSource(file, 'test')
    expect(s.flagSet.evaluate('a', {}, 0)).toMatchObject({ value: true, reason: 'STATIC' })
  })

  it("points a .json file's problems at their lines", async () => {
    const file = join(dir, 'flags.json')
    const doc = { flags: { a: flag('on'), b: { ...flag('on'), defaultVariant: 'purple' } } }
    writeFileSync(file, JSON.stringify(doc, null, 2))
    const err = await open()
      .addSource(file, 'test')
      .catch((e: unknown) => e)
    expect((err as Error).message).toMatch(
      /flags\.json:17 flags\.b\.defaultVariant: names no variant/,
    )
  })

  it('evaluates targeting nested hundreds of levels deep, and refuses one past 1,000 levels clearly', async () => {
    const file = join(dir, 'flags.json')
    // 300 ifs nest 600+ levels: refused before (64), evaluated by flagd.
    writeFileSync(
      file,
      `{"flags": {"deep": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off", "targeting": ${deepRule(300)}}}}`,
    )
    const s = open()
    await s.addSource(file, 'test')
    expect(s.flagSet.evaluate('deep', { x: 1 }, 0)).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    })
    expect(s.flagSet.evaluate('deep', { x: 2 }, 0)).toMatchObject({
      value: false,
      reason: 'TARGETING_MATCH',
    })
    const tooDeep = join(dir, 'deeper.json')
    writeFileSync(
      tooDeep,
      `{"flags": {"deeper": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off", "targeting": ${deepRule(3000)}}}}`,
    )
    const err = await s.addSource(tooDeep, 'test').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as Error).message).toContain(
      'flags.deeper: it nests more than 1000 objects and arrays deep',
    )
    expect(() =>
      s.setFlag(
        'deeper',
        JSON.parse(
          `{"state": "ENABLED", "variants": {"on": true, "off": false}, "targeting": ${deepRule(3000)}}`,
        ),
        'test',
      ),
    ).toThrow(/nests more than 1000/)
    expect(s.flagSet.has('deeper')).toBe(false)
  })

  it('serves a YAML file nested as deep as a .json file may (1,000 levels), and refuses one past it', async () => {
    // 498 ifs: the targeting nests 999 levels, the flag 1,000; deeper than the main thread reads.
    const file = join(dir, 'flags.yaml')
    const yaml = (levels: number) =>
      `flags:\n  deep:\n    state: ENABLED\n    variants: {"on": true, "off": false}\n    defaultVariant: "off"\n    targeting: ${deepRule(levels)}\n`
    writeFileSync(file, yaml(498))
    const s = open()
    await s.addSource(file, 'test')
    expect(s.flagSet.evaluate('deep', { x: 1 }, 0)).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    })
    const tooDeep = join(dir, 'deeper.yaml')
    writeFileSync(tooDeep, yaml(499))
    const err = await s.addSource(tooDeep, 'test').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as Error).message).toContain(
      `${tooDeep}:1 YAML: nested more than 1000 levels deep below a flag`,
    )
  })

  it('reads a YAML file too deep for the main thread at start in the worker', async () => {
    const file = join(dir, 'flags.yaml')
    writeFileSync(
      file,
      `flags:\n  deep:\n    state: ENABLED\n    variants: {"on": true, "off": false}\n    defaultVariant: "off"\n    targeting: ${deepRule(498)}\n`,
    )
    await open().addSource(file, 'test')
    service?.close()
    // A restarted daemon reads its watched files at start, on its main thread first.
    const s = open()
    await waitFor(() => s.flagSet.has('deep'), 'the deep flag served')
    expect(s.flagSet.evaluate('deep', { x: 1 }, 0)).toMatchObject({ value: true })
    expect(s.sources()[0]?.problem).toBeNull()
  })
})

describe('reloads', () => {
  it('swap the whole set at once, keep unchanged flags compiled, and record what changed', async () => {
    const file = join(dir, 'flags.json')
    const doc = (edited: string | null, all: 'on' | 'off') => {
      const flags: Record<string, unknown> = {}
      for (let i = 0; i < 2000; i++)
        flags[`f${i}`] = flag(`f${i}` === edited ? 'on' : all, {
          if: [{ in: [{ var: 'c' }, [`c${i}`]] }, 'on', null],
        })
      return JSON.stringify({ flags }, null, 2)
    }
    writeFileSync(file, doc(null, 'off'))
    const s = open()
    await s.addSource(file, 'test')
    const untouched = s.flagSet.definition('f5')
    const changes: number[] = []
    s.onChange((c) => changes.push(Object.keys(c.flags).length))
    writeFileSync(file, doc('f7', 'off'))
    await waitFor(() => s.flagSet.evaluate('f7', {}, 0).value === true, 'the edit to be served')
    expect(changes).toEqual([1])
    // The same definition object: the unchanged flag was not compiled again.
    expect(s.flagSet.definition('f5')).toBe(untouched)
    expect(s.audit({ key: 'f7', limit: 5 }).at(-1)).toMatchObject({
      action: 'file',
      before: { defaultVariant: 'off' },
      after: { defaultVariant: 'on' },
    })

    // Every flag changes: whatever a request sees while the file loads is all old or all new.
    const seen = new Set<string>()
    const watch = setInterval(() => {
      const set = s.flagSet
      seen.add(
        JSON.stringify([set.evaluate('f0', {}, 0).value, set.evaluate('f1999', {}, 0).value]),
      )
    }, 1)
    writeFileSync(file, doc(null, 'on'))
    await waitFor(
      () => s.flagSet.evaluate('f1999', {}, 0).value === true,
      'the rewrite to be served',
    )
    clearInterval(watch)
    expect([...seen].filter((x) => x === '[true,false]' || x === '[false,true]')).toEqual([])
    expect(changes).toEqual([1, 1999])
    await s.settled()
    expect(s.audit({ limit: 1000 })).toHaveLength(1000)
    expect(s.audit({ key: 'f1999' }).at(-1)).toMatchObject({ after: { defaultVariant: 'on' } })
  })

  it('keeps the last good version serving when a save is broken, and serves the fix', async () => {
    const file = join(dir, 'flags.json')
    writeFileSync(file, JSON.stringify({ flags: { a: flag('off') } }))
    const s = open()
    await s.addSource(file, 'test')
    writeFileSync(file, JSON.stringify({ flags: { a: flag('on') } }).replace(/}$/, ',}'))
    await waitFor(
      () => s.sources()[0]?.problem?.includes('JSON syntax'),
      'the broken save to be refused',
    )
    expect(s.flagSet.evaluate('a', {}, 0).value).toBe(false)
    writeFileSync(file, JSON.stringify({ flags: { a: flag('on') } }))
    await waitFor(() => s.flagSet.evaluate('a', {}, 0).value === true, 'the fix to be served')
    expect(s.sources()[0]?.problem).toBeNull()
  })
})
