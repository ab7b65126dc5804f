/** `kanari dashboard`: where the live dashboard is, with a one-time link that lets a browser act. */
import type { Command } from 'commander'
import type { DashboardOptions } from '../actions/dashboard.js'
import type { CliContext } from '../context.js'
import { withCommon } from '../options.js'

export function registerDashboardCommand(program: Command, ctx: CliContext): void {
  withCommon(
    program
      .command('dashboard')
      .description(
        "print the live dashboard's address and a one-time sign-in link (starts the daemon if needed)",
      ),
  )
    .option('--open', "open the sign-in link in the desktop's browser")
    .option('--read-only', 'only the address: no sign-in link, the browser can look but not act')
    .action(async (options: DashboardOptions) => {
      await (await import('../actions/dashboard.js')).dashboard(ctx, options)
    })
}
