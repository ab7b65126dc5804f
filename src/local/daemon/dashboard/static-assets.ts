/**
 * The built dashboard (`dist/dashboard`, made by `npm run build` from dashboard/): its files read
 * once into memory and served by exact path only, so no request can reach another file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** From src/local/daemon/dashboard/ or dist/local/daemon/dashboard/, the package root is four up. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../../dist/dashboard/', import.meta.url))

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

export interface Asset {
  body: Buffer
  type: string
  /** Hashed file names never change: the browser may keep them. */
  immutable: boolean
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

/** The dashboard's files by URL path (`/`, `/assets/index-1a2b.js`…); undefined if it is not built. */
export function loadAssets(dir = DASHBOARD_DIR): Map<string, Asset> | undefined {
  let files: string[]
  try {
    files = walk(dir)
  } catch {
    return undefined
  }
  const assets = new Map<string, Asset>()
  for (const file of files) {
    const path = '/' + relative(dir, file).split(sep).join('/')
    const asset = {
      body: readFileSync(file),
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      immutable: path.startsWith('/assets/'),
    }
    assets.set(path, asset)
    if (path === '/index.html') assets.set('/', asset)
  }
  return assets.has('/') ? assets : undefined
}
