/** Reading replica logs by their time index: the window's lines, those before, and no index at all. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { indexPathOf, logWindows } from './replica-logs.js'

const dir = mkdtempSync(join(tmpdir(), 'kanari-logwindow-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('log windows', () => {
  it('picks the lines of the window by the index, to the second', () => {
    const log = join(dir, '0.log')
    const a = 'early line\n'
    const b = 'window line 1\nwindow line 2\n'
    const c = 'late line\n'
    writeFileSync(log, a + b + c)
    const t = 1_700_000_000_000
    writeFileSync(
      indexPathOf(log),
      `0 ${t}\n${a.length} ${t + 5_000}\n${a.length + b.length} ${t + 9_000}\n`,
    )
    const [w] = logWindows([{ index: 0, logPath: log }], t + 4_500, t + 8_000, 1 << 20)
    expect(w).toEqual({
      index: 0,
      before: ['early line'],
      window: ['window line 1', 'window line 2'],
      windowed: true,
    })
  })

  it('reads the whole log when there is no usable index, and drops a cut first line', () => {
    const log = join(dir, '1.log')
    writeFileSync(log, 'first\nsecond\nthird\n')
    const [whole] = logWindows([{ index: 1, logPath: log }], 0, 1, 1 << 20)
    expect(whole).toMatchObject({ windowed: false, window: ['first', 'second', 'third'] })
    // An index that points past the end of its log is not trusted.
    writeFileSync(indexPathOf(log), `0 1\n9999 2\n`)
    expect(logWindows([{ index: 1, logPath: log }], 0, 1, 1 << 20)[0]?.windowed).toBe(false)
    // A byte budget keeps the latest lines, whole.
    const [tail] = logWindows([{ index: 1, logPath: join(dir, '1.log') }], 0, 1, 9)
    expect(tail?.window).toEqual(['third'])
  })
})
