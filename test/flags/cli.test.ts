/**
 * `kanari flags` as a user runs it: the real CLI process against a real daemon. Watch a file, list,
 * evaluate, disable (a kill switch) and set the default variant, with `--output json`, the audit
 * log naming who did what, and lint's and usage errors' exit codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { kanariIn, type CliResult } from '../helpers/kanari-cli.js'
import { KANARI_BIN } from '../helpers/processes.js'

const dir = mkdtempSync(join(tmpdir(), 'kanari-flags-cli-'))
const stateDir = join(dir, 'state')
const flagFile = join(dir, 'flags.json')
writeFileSync(
  flagFile,
  JSON.stringify({
    flags: {
      'new-checkout': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { if: [{ starts_with: [{ var: 'targetingKey' }, 'staff-'] }, 'on', null] },
      },
    },
  }),
)
const kanari = (...args: string[]) => kanariIn(stateDir, ...args)
/** The CLI without a state directory (lint needs none). */
const kanariAlone = (...args: string[]) =>
  new Promise<CliResult>((resolve) => {
    execFile(process.execPath, [KANARI_BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({
        code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
        stdout,
        stderr,
      }),
    )
  })
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it reads
const json = <T>(stdout: string) => JSON.parse(stdout) as T

afterAll(async () => {
  await kanari('down')
  rmSync(dir, { recursive: true, force: true })
})

describe('kanari flags', () => {
  it('watches a file, lists and evaluates its flags', async () => {
    const watched = await kanari('flags', 'watch', '-f', flagFile, '-o', 'json')
    expect(watched.code, watched.stderr).toBe(0)
    expect(json<{ items: { path: string; flags: number }[] }>(watched.stdout).items).toEqual([
      expect.objectContaining({ path: flagFile, flags: 1 }),
    ])
    const list = await kanari('flags', 'list', '-o', 'json')
    expect(json<{ items: unknown[] }>(list.stdout).items).toEqual([
      expect.objectContaining({
        key: 'new-checkout',
        state: 'ENABLED',
        type: 'boolean',
        defaultVariant: 'off',
        source: `file:${flagFile}`,
      }),
    ])
    const table = await kanari('flags', 'list')
    expect(table.stdout).toMatch(/new-checkout\s+ENABLED\s+boolean\s+off\s+on,off\s+yes/)
    const staff = await kanari(
      'flags',
      'eval',
      'new-checkout',
      '--context',
      '{"targetingKey":"staff-7"}',
      '-o',
      'json',
    )
    expect(json(staff.stdout)).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    })
    const user = await kanari(
      'flags',
      'eval',
      'new-checkout',
      '--context',
      '{"targetingKey":"user-7"}',
    )
    expect(user.stdout).toBe('flag/new-checkout = false (variant off, DEFAULT)\n')
    const mismatch = await kanari('flags', 'eval', 'new-checkout', '--type', 'string')
    expect(mismatch.code).toBe(1)
    expect(mismatch.stdout).toMatch(/TYPE_MISMATCH/)
  })

  it('disables a flag (the code default serves) and sets its default variant, recording who did it', async () => {
    expect((await kanari('flags', 'disable', 'new-checkout')).code).toBe(0)
    const disabled = await kanari(
      'flags',
      'eval',
      'new-checkout',
      '--context',
      '{"targetingKey":"staff-7"}',
      '-o',
      'json',
    )
    expect(json(disabled.stdout)).toMatchObject({ reason: 'DISABLED' })
    expect((await kanari('flags', 'enable', 'new-checkout')).code).toBe(0)
    const set = await kanari(
      'flags',
      'set',
      'new-checkout',
      '--default-variant',
      'on',
      '-o',
      'json',
    )
    expect(set.code, set.stderr).toBe(0)
    expect(json(set.stdout)).toMatchObject({ source: 'api', flag: { defaultVariant: 'on' } })
    const audit = await kanari('flags', 'audit', 'new-checkout', '-o', 'json')
    const items = json<{ items: { action: string; actor: string }[] }>(audit.stdout).items
    expect(items.map((e) => e.action)).toEqual(['file', 'disable', 'enable', 'set'])
    expect(items.slice(1).every((e) => e.actor.endsWith('(cli)'))).toBe(true)
    const bad = await kanari('flags', 'set', 'new-checkout', '--default-variant', 'maybe')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/defaultVariant: names no variant/)
    const missing = await kanari('flags', 'get', 'no-such-flag')
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(/known flags: new-checkout/)
  })

  it('lints flag files without a daemon: every problem with file:line, .json as strict JSON, YAML as deep as JSON, exit 1; usage errors exit 2', async () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(
      bad,
      '{\n  "flags": {\n    "a": { "state": "ON", "variants": { "x": 1 }, "defaultVariant": "y" }\n  }\n}\n',
    )
    const lint = await kanariAlone('flags', 'lint', '-f', bad)
    expect(lint.code).toBe(1)
    expect(lint.stdout).toContain(`${bad}:3 flags.a.state: must be ENABLED or DISABLED, not "ON"`)
    expect(lint.stdout).toContain(`${bad}:3 flags.a.defaultVariant: names no variant ("y")`)
    expect((await kanariAlone('flags', 'lint', '-f', flagFile)).code).toBe(0)
    // A .json file is strict JSON, as the daemon reads it: a trailing comma is a JSON error.
    const trailing = join(dir, 'trailing.json')
    writeFileSync(
      trailing,
      '{\n  "flags": {\n    "a": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},\n  }\n}\n',
    )
    const strict = await kanariAlone('flags', 'lint', '-f', trailing)
    expect(strict.code).toBe(1)
    expect(strict.stdout).toMatch(
      new RegExp(`^${trailing}:4:3 JSON syntax: .*no trailing commas`, 'm'),
    )
    expect(strict.stdout).not.toContain('YAML syntax')
    // YAML targeting as deep as a .json file may nest (1,000 levels), read on a larger stack.
    const deep = join(dir, 'deep.yaml')
    const rule = `${'{if: [{"==": [{var: x}, 1]}, "on", '.repeat(498)}"off"${']}'.repeat(498)}`
    writeFileSync(
      deep,
      `flags:\n  deep:\n    state: ENABLED\n    variants: {"on": true, "off": false}\n    defaultVariant: "off"\n    targeting: ${rule}\n`,
    )
    const deepLint = await kanariAlone('flags', 'lint', '-f', deep)
    expect(deepLint.stdout).toBe(`OK ${deep} (1 flag)\n`)
    expect(deepLint.code).toBe(0)
    const usage = await kanari('flags', 'eval', 'x', '--context', 'not-json')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/--context/)
  })
})
