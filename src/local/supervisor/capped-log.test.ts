/**
 * Writing replica output to a log on real files: the cap starts the log over, a write the disk
 * refuses is dropped and counted and never thrown, output waits for headroom on a nearly full disk
 * (a real tmpfs, as root), and the last lines are kept whole across chunks.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CappedLog, LOG_HEADROOM_BYTES } from './capped-log.js'
import { RecentLines, tailOfFile } from './recent-lines.js'
import { LOG_CAP_BYTES } from './replica-logs.js'

const dir = mkdtempSync(join(tmpdir(), 'kanari-capped-log-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('CappedLog', () => {
  it('appends, and starts over once the next chunk would pass the cap', () => {
    const path = join(dir, 'cap.log')
    const log = new CappedLog(path)
    const chunk = Buffer.alloc(1024 * 1024, 'a')
    for (let i = 0; i < 4; i++) log.write(chunk)
    expect(statSync(path).size).toBe(LOG_CAP_BYTES)
    log.write(Buffer.from('after the cap\n'))
    log.close()
    expect(readFileSync(path, 'utf8')).toBe('after the cap\n')
    expect(log).toMatchObject({ droppedBytes: 0, dropReason: undefined })
  })

  it('drops and counts what it cannot write, says why once, and recovers', () => {
    const path = join(dir, 'missing', 'x.log')
    const notes: string[] = []
    const log = new CappedLog(path, (l) => notes.push(l))
    log.write(Buffer.from('one\n'))
    log.write(Buffer.from('two\n'))
    expect(log.droppedBytes).toBe(8)
    expect(log.dropReason).toBe('ENOENT')
    expect(notes).toHaveLength(1)
    execFileSync('mkdir', ['-p', join(dir, 'missing')])
    log.write(Buffer.from('three\n'))
    log.close()
    expect(log).toMatchObject({ droppedBytes: 8, dropReason: undefined, writtenBytes: 6 })
    expect(readFileSync(path, 'utf8')).toBe('three\n')
  })

  it.runIf(process.getuid?.() === 0)(
    'on a nearly full disk keeps the last MiB for the state: output is dropped as ENOSPC',
    async () => {
      const small = mkdtempSync(join(tmpdir(), 'kanari-headroom-'))
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small])
      try {
        const { bavail, bsize } = statfsSync(small)
        // Leave half the headroom free: the disk would take the write, the log must not.
        writeFileSync(join(small, 'filler'), Buffer.alloc(bavail * bsize - LOG_HEADROOM_BYTES / 2))
        const path = join(small, 'r.log')
        const log = new CappedLog(path)
        log.write(Buffer.from('not now\n'))
        expect(log).toMatchObject({ droppedBytes: 8, dropReason: 'ENOSPC', writtenBytes: 0 })
        rmSync(join(small, 'filler'))
        // Free space is looked at every 100 ms.
        await new Promise((r) => setTimeout(r, 200))
        log.write(Buffer.from('now\n'))
        log.close()
        expect(log).toMatchObject({ droppedBytes: 8, dropReason: undefined })
        expect(readFileSync(path, 'utf8')).toBe('now\n')
      } finally {
        execFileSync('umount', ['-l', small])
        rmSync(small, { recursive: true, force: true })
      }
    },
  )
})

describe('RecentLines', () => {
  it('keeps the last 20 lines, a character split across chunks whole, and an unended line last', () => {
    const recent = new RecentLines()
    for (let i = 0; i < 30; i++) recent.add(Buffer.from(`line ${i}\n`))
    const euro = Buffer.from('price 3€\n')
    recent.add(euro.subarray(0, 8))
    recent.add(euro.subarray(8))
    recent.add(Buffer.from('no newline yet'))
    const last = recent.last()
    expect(last).toHaveLength(20)
    expect(last.slice(-3)).toEqual(['line 29', 'price 3€', 'no newline yet'])
    expect(recent.last(1)).toEqual(['no newline yet'])
  })
})

describe('tailOfFile', () => {
  it('reads the last lines written since an offset, or the whole log once it started over', () => {
    const path = join(dir, 'tail.log')
    writeFileSync(path, 'old 1\nold 2\n')
    const offset = statSync(path).size
    writeFileSync(path, 'old 1\nold 2\nnew 1\n\nnew 2\n')
    expect(tailOfFile(path, 3, offset)).toEqual(['new 1', 'new 2'])
    expect(tailOfFile(path, 3)).toEqual(['old 2', 'new 1', 'new 2'])
    writeFileSync(path, 'after\n')
    expect(tailOfFile(path, 3, offset)).toEqual(['after'])
    expect(tailOfFile(join(dir, 'none.log'), 3)).toEqual([])
  })
})
