/**
 * What `kanari demo --keep` prints at the end: the commands, ready to paste, to drive the demo that
 * was left running and to stop it.
 */
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * `bin/kanari` as the user's shell reaches it: `./bin/kanari` from the package root, where `npm run
 * demo` is run from (npm itself runs scripts there and keeps the caller's directory in INIT_CWD), and
 * its absolute path from anywhere else.
 */
export function kanariCommand(cwd = process.env.INIT_CWD ?? process.cwd()): string {
  const bin = fileURLToPath(new URL('../../bin/kanari', import.meta.url))
  return relative(cwd, bin) === join('bin', 'kanari') ? './bin/kanari' : bin
}

export function keepInstructions(options: {
  serviceUrl: string
  /** The daemon's dashboard; absent in reports made before it existed. */
  dashboardUrl?: string
  stateDir: string
  daemonPid: number
  kanari: string
}): string[] {
  const { serviceUrl, dashboardUrl, stateDir, daemonPid, kanari } = options
  const at = `--state-dir ${stateDir}`
  return [
    `left running: the demo app at ${serviceUrl}/ and the daemon (pid ${daemonPid}, state ${stateDir}).`,
    // Each analysis step waits for 30 requests to the canary: at 5% of a slow trickle it would not
    // have them before the progress deadline rolls a healthy release back.
    'send traffic, as fast as curl goes (each analysis step waits for 30 requests to the canary):',
    `  while true; do curl -s ${serviceUrl}/color; echo; done`,
    'release a new revision, in another terminal:',
    `  ${kanari} set env demo COLOR=purple ${at}`,
    'watch it:',
    `  ${kanari} get rollout demo --watch ${at}`,
    ...(dashboardUrl === undefined || dashboardUrl === ''
      ? []
      : [`  or in the dashboard: ${dashboardUrl} (to act from it: ${kanari} dashboard ${at})`]),
    "the evidence of v3's rollback (verdicts, requests by path and status, log diff, change):",
    `  ${kanari} diagnose demo --revision 3 ${at}`,
    'stop everything (the daemon, every replica) and remove the state:',
    `  ${kanari} down ${at} && rm -rf ${stateDir}`,
  ]
}
