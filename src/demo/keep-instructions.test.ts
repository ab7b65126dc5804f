/** The --keep epilogue: every command is runnable as printed, against the demo that was left running. */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { kanariCommand, keepInstructions } from './keep-instructions.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('keep instructions', () => {
  it('reach bin/kanari from where the demo was started', () => {
    expect(kanariCommand(root)).toBe('./bin/kanari')
    expect(kanariCommand('/')).toBe(fileURLToPath(new URL('../../bin/kanari', import.meta.url)))
  })

  it('name the real service URL and state directory in each command', () => {
    const lines = keepInstructions({
      serviceUrl: 'http://127.0.0.1:4321',
      stateDir: '/tmp/kanari-demo-abc',
      daemonPid: 99,
      kanari: './bin/kanari',
    })
    expect(lines).toContain('  while true; do curl -s http://127.0.0.1:4321/color; echo; done')
    expect(lines).toContain(
      '  ./bin/kanari set env demo COLOR=purple --state-dir /tmp/kanari-demo-abc',
    )
    expect(lines).toContain(
      '  ./bin/kanari get rollout demo --watch --state-dir /tmp/kanari-demo-abc',
    )
    expect(lines).toContain(
      '  ./bin/kanari diagnose demo --revision 3 --state-dir /tmp/kanari-demo-abc',
    )
    expect(lines).toContain(
      '  ./bin/kanari down --state-dir /tmp/kanari-demo-abc && rm -rf /tmp/kanari-demo-abc',
    )
    expect(lines[0]).toContain('pid 99')
    expect(lines.join('\n')).not.toContain('dashboard')
  })

  it('name the dashboard beside the demo app, with the command that signs a browser in', () => {
    const lines = keepInstructions({
      serviceUrl: 'http://127.0.0.1:4321',
      dashboardUrl: 'http://127.0.0.1:5555/',
      stateDir: '/tmp/kanari-demo-abc',
      daemonPid: 99,
      kanari: './bin/kanari',
    })
    expect(lines).toContain(
      '  or in the dashboard: http://127.0.0.1:5555/ (to act from it: ./bin/kanari dashboard --state-dir /tmp/kanari-demo-abc)',
    )
  })
})
