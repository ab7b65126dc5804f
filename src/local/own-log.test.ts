import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { OwnLog } from './own-log.js'

const dirs: string[] = []
const fds: number[] = []
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function appendFd(path: string): number {
  const fd = openSync(path, 'a')
  fds.push(fd)
  return fd
}

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-own-log-'))
  dirs.push(dir)
  return dir
}

describe('a process log kept under its cap', () => {
  it('copies the full file to .1 and starts over in place; every line is in one of the two', () => {
    const path = join(scratch(), 'daemon.log')
    const log = new OwnLog(appendFd(path), path, 1000)
    const lines = Array.from(
      { length: 60 },
      (_, i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(20)}`,
    )
    for (const line of lines) log.write(line)
    expect(statSync(path).size).toBeLessThanOrEqual(1000)
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(1000)
    const kept = [readFileSync(`${path}.1`, 'utf8'), readFileSync(path, 'utf8')]
      .join('')
      .split('\n')
    // 60 lines of 30 bytes are 1800 bytes: one rotation, nothing lost yet
    expect(kept.filter((l) => l !== '')).toEqual(lines)
    // more: the oldest go, the newest stay
    for (const line of lines) log.write(line)
    expect(statSync(path).size).toBeLessThanOrEqual(1000)
    expect(readFileSync(path, 'utf8').trimEnd().split('\n').at(-1)).toBe(lines.at(-1))
  })

  it('counts what other descriptors on the same file wrote (a stack trace on stderr), and they keep writing to it', () => {
    const path = join(scratch(), 'daemon.log')
    const stdout = appendFd(path)
    const stderr = appendFd(path)
    const log = new OwnLog(stdout, path, 1000)
    log.write('first')
    writeSync(stderr, `${'e'.repeat(990)}\n`)
    log.write('second')
    // the stderr bytes pushed it past the cap: rotated before 'second' was written
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/^first\ne+\n$/)
    expect(readFileSync(path, 'utf8')).toBe('second\n')
    writeSync(stderr, 'after\n')
    expect(readFileSync(path, 'utf8')).toBe('second\nafter\n')
  })

  it('leaves alone a file it is not writing to (a descriptor on something else), and a terminal or pipe', () => {
    const dir = scratch()
    const elsewhere = join(dir, 'elsewhere.log')
    const path = join(dir, 'daemon.log')
    appendFd(path)
    const log = new OwnLog(appendFd(elsewhere), path, 100)
    for (let i = 0; i < 20; i++) log.write('0123456789')
    expect(statSync(elsewhere).size).toBe(220)
    expect(existsSync(`${path}.1`)).toBe(false)
    expect(existsSync(`${elsewhere}.1`)).toBe(false)
  })
})
