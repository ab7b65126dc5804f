/** The built dashboard (JS and CSS, the simulate worker included) stays under 250 KB gzipped. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { DASHBOARD_DIR } from '../../src/local/daemon/dashboard/static-assets.js'

describe('dashboard bundle', () => {
  it('is built, offline (no address outside the daemon), and under 250 KB gzipped', () => {
    const dir = join(DASHBOARD_DIR, 'assets')
    const files = readdirSync(dir).filter((f) => f.endsWith('.js') || f.endsWith('.css'))
    expect(files.some((f) => f.endsWith('.js'))).toBe(true)
    expect(files.some((f) => f.endsWith('.css'))).toBe(true)
    const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dir, f))).length, 0)
    expect(gzipped).toBeLessThan(250 * 1000)
    // The page loads nothing from elsewhere: no script, style or font from another host.
    const html = readFileSync(join(DASHBOARD_DIR, 'index.html'), 'utf8')
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })
})
