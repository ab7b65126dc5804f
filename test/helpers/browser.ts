/**
 * Test helper: Debian's Chromium driven by playwright-core, headless, with no network of its own
 * and a fresh profile per browser. Without /usr/bin/chromium it fails saying how to install it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface TestBrowser {
  context: BrowserContext
  close(): Promise<void>
}

/** A browser with its own fresh profile directory, removed on close. */
export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the browser tests need Debian's Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this)`,
    )
  const profile = mkdtempSync(join(tmpdir(), 'kanari-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 60_000,
  })
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined)
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
