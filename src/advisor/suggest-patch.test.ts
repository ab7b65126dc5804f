/**
 * Suggested patches in a real git repository, the advisor being FakeOpenAIServer (a fake): the files
 * the stack traces name are sent, a diff that applies becomes a commit on a new branch with the
 * working tree and current branch untouched; a diff that does not apply, or that touches other
 * files, writes nothing.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildReport } from '../diagnosis/build-report.js'
import type { AdvisorSettings } from './advise.js'
import { suggestPatch } from './suggest-patch.js'
import { FakeOpenAIServer } from './test-utils/fake-openai-server.js'

const repo = mkdtempSync(join(tmpdir(), 'kanari-patch-repo-'))
const SOURCE = `const palette = { red: { hex: '#df3f3f' } }

export function paint(name) {
  const entry = palette[\`\${name}-shade\`]
  return entry.hex.toUpperCase()
}
`
const FIX = `--- a/app/server.js
+++ b/app/server.js
@@ -1,6 +1,6 @@
 const palette = { red: { hex: '#df3f3f' } }
 
 export function paint(name) {
-  const entry = palette[\`\${name}-shade\`]
+  const entry = palette[name]
   return entry.hex.toUpperCase()
 }
`

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim()
}

const report = buildReport({
  rollout: 'shop',
  revision: 4,
  stableRevision: 3,
  trigger: 'rollback',
  now: 0,
  window: { from: 0, to: 1 },
  outcome: null,
  runs: [],
  verdictEvents: [],
  requests: { canary: [], stable: [] },
  logs: {
    canary: [
      [
        "ERROR GET /color failed: TypeError: Cannot read properties of undefined (reading 'hex')",
        // Logged where the service runs: another checkout of the same repository.
        '    at paint (file:///srv/deploy/app/server.js:5:16)',
        '    at listOnTimeout (node:internal/timers:581:17)',
      ],
    ],
    stable: [['GET /color 200 2ms']],
    stableBefore: [],
    windowed: true,
  },
  workloads: { from: null, to: { revision: 4, workload: {} } },
  secretEnv: [],
})

let fake: FakeOpenAIServer
let settings: AdvisorSettings

beforeAll(async () => {
  mkdirSync(join(repo, 'app'))
  writeFileSync(join(repo, 'app', 'server.js'), SOURCE)
  writeFileSync(join(repo, 'README'), 'shop\n')
  git('init', '-q', '-b', 'main')
  git('add', '.')
  execFileSync('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@localhost',
    'commit',
    '-qm',
    'first',
  ])
  // Work in progress the suggestion must not touch.
  writeFileSync(join(repo, 'README'), 'shop, edited\n')
  fake = await FakeOpenAIServer.start({ kind: 'answer', content: '{}' })
  settings = { kind: 'openai', url: fake.url, model: 'fake-model', timeoutSeconds: 10 }
})

afterAll(async () => {
  await fake.close()
  rmSync(repo, { recursive: true, force: true })
})

describe('suggested patches (against FakeOpenAIServer, a fake)', () => {
  it('sends the named file and writes a diff that applies to a new branch, nothing else', async () => {
    fake.reply({
      kind: 'answer',
      content: JSON.stringify({ summary: 'look up the color itself', diff: FIX }),
    })
    const head = git('rev-parse', 'HEAD')
    const patch = await suggestPatch({ report, repo, settings })
    expect(patch).toMatchObject({
      status: 'written',
      branch: 'kanari/fix-shop-r4',
      base: head,
      files: ['app/server.js'],
    })
    const prompt = fake.chats.at(-1)?.body?.messages?.[1]?.content ?? ''
    expect(prompt).toContain('=== app/server.js')
    expect(prompt).toContain('    4|   const entry = palette[`${name}-shade`]')
    // The branch holds the fix on top of HEAD; HEAD, the current branch and the working tree are as they were.
    expect(git('show', 'kanari/fix-shop-r4:app/server.js')).toContain('palette[name]')
    expect(git('rev-parse', 'kanari/fix-shop-r4^')).toBe(head)
    expect(git('rev-parse', 'HEAD')).toBe(head)
    expect(git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main')
    expect(readFileSync(join(repo, 'app', 'server.js'), 'utf8')).toBe(SOURCE)
    expect(readFileSync(join(repo, 'README'), 'utf8')).toBe('shop, edited\n')
    expect(git('status', '--porcelain')).toBe('M README')
    // Asked again: another branch, the first one left as it was.
    const again = await suggestPatch({ report, repo, settings })
    expect(again).toMatchObject({ status: 'written', branch: 'kanari/fix-shop-r4-2' })
  })

  it('writes nothing for a diff that does not apply', async () => {
    fake.reply({
      kind: 'answer',
      content: JSON.stringify({
        summary: 'x',
        diff: FIX.replace('return entry.hex', 'return entry.color'),
      }),
    })
    const branches = git('branch', '--list')
    const patch = await suggestPatch({ report, repo, settings })
    expect(patch.status).toBe('unavailable')
    expect(patch.status === 'unavailable' ? patch.reason : '').toContain('does not apply to HEAD')
    expect(git('branch', '--list')).toBe(branches)
  })

  it('refuses a diff touching files the evidence does not name', async () => {
    const other = `--- a/README\n+++ b/README\n@@ -1 +1 @@\n-shop\n+pwned\n`
    fake.reply({ kind: 'answer', content: JSON.stringify({ summary: 'x', diff: FIX + other }) })
    const patch = await suggestPatch({ report, repo, settings })
    expect(patch.status === 'unavailable' ? patch.reason : '').toContain('does not name: README')
  })

  it('says so when no file of the repository is named, and refuses a directory that is no repository', async () => {
    const noFiles = { ...report, logs: { ...report.logs, templates: [] } }
    const patch = await suggestPatch({ report: noFiles, repo, settings })
    expect(patch).toMatchObject({ status: 'unavailable' })
    await expect(suggestPatch({ report, repo: tmpdir(), settings })).rejects.toThrow(
      'is not a git repository',
    )
  })
})
