/** Test helper: runs the real `bin/kanari` in a child process and collects its exit code and output. */
import { execFile } from 'node:child_process'
import { KANARI_BIN } from './processes.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export function runKanari(args: string[], options: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [KANARI_BIN, ...args],
      { timeout: 60_000, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) },
      (err, stdout, stderr) => {
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        })
      },
    )
  })
}
