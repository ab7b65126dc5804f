/**
 * Reading flag files as `kanari flags lint` and the daemon both do: strict JSON for `.json` files,
 * with JSON errors at file:line:column, and YAML files nesting as deep as JSON ones may.
 */
import { describe, expect, it } from 'vitest'
import { MAX_NESTING } from '../flags/index.js'
import { formatFlagProblem, loadFlagFile } from './flag-file.js'
import { loadFlagFileAnyDepth, loadFlagFileOnLargeStack } from './flag-file-thread.js'

/** `levels` ifs, each the previous one's else, in YAML's flow style (2 levels each, 3 more below the last). */
function deepRule(levels: number): string {
  return `${'{if: [{"==": [{var: x}, 1]}, "on", '.repeat(levels)}"off"${']}'.repeat(levels)}`
}

/** A YAML flag file whose one flag's targeting nests `levels` ifs deep. */
const deepYaml = (levels: number) =>
  `flags:\n  deep:\n    state: ENABLED\n    variants: {"on": true, "off": false}\n    defaultVariant: "off"\n    targeting: ${deepRule(levels)}\n`

describe('flag files', () => {
  it('reads a .json file as strict JSON: a trailing comma is a JSON error at file:line:column', () => {
    const text =
      '{\n  "flags": {\n    "a": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},\n  }\n}\n'
    const loaded = loadFlagFile(text, 'flags.json')
    expect(loaded.document).toBeUndefined()
    expect(loaded.problems).toHaveLength(1)
    const shown = formatFlagProblem(loaded.problems[0] as (typeof loaded.problems)[number])
    expect(shown).toMatch(/^flags\.json:4:3 JSON syntax: /)
    expect(shown).toContain('no trailing commas')
    expect(shown).not.toContain('YAML syntax')
    // The same text named .yaml is YAML, where the trailing comma is allowed.
    expect(loadFlagFile(text, 'flags.yaml').document?.flags).toHaveProperty('a')
  })

  it('reads YAML targeting nested 100 ifs (203 levels) deep, past the 64 levels of a manifest', () => {
    const loaded = loadFlagFile(deepYaml(100), 'deep.yaml')
    expect(loaded.problems).toEqual([])
    expect(loaded.document?.flags).toHaveProperty('deep')
  })

  it('reads YAML nested up to the limit of a .json file, on a larger stack if the main one runs out', async () => {
    // 498 ifs: the targeting nests 999 levels (2 an if, 3 its condition), the flag 1,000. Whether
    // the main thread's stack runs out first depends on the machine and the engine's frames, so
    // both ways are read: as lint reads it, and on the larger stack alone.
    const text = deepYaml((MAX_NESTING - 4) / 2)
    for (const loaded of [
      await loadFlagFileAnyDepth(text, 'deep.yaml'),
      await loadFlagFileOnLargeStack(text, 'deep.yaml'),
    ]) {
      expect(loaded.problems).toEqual([])
      expect(loaded.outOfStack).toBeUndefined()
      expect(loaded.document?.flags).toHaveProperty('deep')
    }
  })

  it('refuses YAML nested past the limit with one problem naming the file and the limit', async () => {
    for (const levels of [(MAX_NESTING - 2) / 2, 5000]) {
      const loaded = await loadFlagFileAnyDepth(deepYaml(levels), 'deeper.yaml')
      expect(loaded.document).toBeUndefined()
      expect(loaded.problems.map(formatFlagProblem)).toEqual([
        expect.stringMatching(
          /^deeper\.yaml:\d+ YAML: nested more than 1000 levels deep below a flag/,
        ),
      ])
    }
  })
})
