/**
 * `kanari dashboard`: the dashboard's address, and a one-time sign-in link so the browser can act
 * (promote, abort…). The link carries a code that works once within a minute, never the API token.
 */
import { spawn } from 'node:child_process'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'

export interface DashboardOptions extends CommonOptions {
  open?: boolean
  readOnly?: boolean
}

/** Opens `url` in the desktop's browser; false when there is no opener to run. */
function openInBrowser(url: string): Promise<boolean> {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open'
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true })
    child.once('error', () => resolve(false))
    child.once('spawn', () => {
      child.unref()
      resolve(true)
    })
  })
}

export async function dashboard(ctx: CliContext, options: DashboardOptions): Promise<void> {
  const client = await connectDaemon(ctx, options, { creates: true })
  const url = `${client.info.url}/`
  const login =
    options.readOnly === true
      ? undefined
      : await client.post<{ path: string; expiresAt: number }>('/api/v1/dashboard/login-codes')
  const loginUrl = login === undefined ? undefined : `${client.info.url}${login.path}`
  let opened: boolean | undefined
  if (options.open === true) opened = await openInBrowser(loginUrl ?? url)
  await printResult(
    ctx,
    options.output,
    {
      url,
      ...(login === undefined ? {} : { loginUrl, loginExpiresAt: login.expiresAt }),
      ...(opened === undefined ? {} : { opened }),
    },
    () => {
      const lines = [`dashboard: ${url}  (anyone on this machine can look; acting needs a session)`]
      if (loginUrl !== undefined)
        lines.push(
          `sign in to act (promote, abort…): ${loginUrl}`,
          '  the link works once, within a minute; run `kanari dashboard` again for another',
        )
      if (opened === false)
        lines.push('could not open a browser here (no xdg-open): open the link above yourself')
      return lines.join('\n') + '\n'
    },
  )
}
