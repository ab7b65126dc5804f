/**
 * Flags given a value they cannot take are usage errors (exit 2) that name the flag and what it
 * accepts, before any daemon is looked for; never an internal error, never a stack trace.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runKanari } from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'kanari-usage-'))
const nowhere = join(dir, 'state')

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('usage errors', () => {
  it.each([['list'], ['get', 'rollout', 'checkout'], ['lint', '-f', 'examples/canary.yaml']])(
    '`%s -o xml` names the formats it takes',
    async (...command) => {
      const res = await runKanari([...command, '-o', 'xml', '--state-dir', nowhere])
      expect(res.code).toBe(2)
      expect(res.stderr).toMatch(
        /option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are table, json, yaml/,
      )
      expect(res.stderr).not.toMatch(/\n\s+at /)
    },
  )

  it.each(['0', '-1', 'abc', '1.5'])(
    '`logs --tail %s` asks for a positive whole number',
    async (n) => {
      const res = await runKanari(['logs', 'checkout', `--tail=${n}`, '--state-dir', nowhere])
      expect(res.code).toBe(2)
      expect(res.stderr).toMatch(
        new RegExp(
          `option '--tail <n>' argument '${n.replace('.', '\\.')}' is invalid\\. Expected a positive whole number of lines`,
        ),
      )
      expect(res.stdout).toBe('')
    },
  )

  it('`undo --to-revision 0` and `get --watch --interval 0` are refused the same way', async () => {
    const undo = await runKanari(['undo', 'checkout', '--to-revision', '0', '--state-dir', nowhere])
    expect(undo.code).toBe(2)
    expect(undo.stderr).toMatch(
      /'--to-revision <n>' argument '0' is invalid\. Expected a revision number/,
    )
    const watch = await runKanari([
      'get',
      'checkout',
      '-w',
      '--interval',
      '0',
      '--state-dir',
      nowhere,
    ])
    expect(watch.code).toBe(2)
    expect(watch.stderr).toMatch(/'--interval <seconds>' argument '0' is invalid/)
  })
})
