#!/usr/bin/env node
// Checks that every installed package runs on the oldest Node this project supports (package.json
// `engines.node`): npm only warns (EBADENGINE) when a dependency needs a newer Node, and a warning at
// install time is easy to miss. Exits 1 with the packages that do not fit, and what to do.
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'

const root = new URL('..', import.meta.url).pathname
const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const oldest = semver.minVersion(own.engines.node)
if (oldest === null) {
  console.error(
    `engines-audit: package.json engines.node "${own.engines.node}" has no lowest version`,
  )
  process.exit(1)
}

/** Every package.json under node_modules, scoped packages and nested node_modules included. */
function* manifests(dir) {
  if (!existsSync(dir)) return
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.name.startsWith('@')) {
      yield* manifests(path)
      continue
    }
    const file = join(path, 'package.json')
    if (existsSync(file)) yield file
    yield* manifests(join(path, 'node_modules'))
  }
}

const misfits = []
let checked = 0
for (const file of manifests(join(root, 'node_modules'))) {
  const pkg = JSON.parse(readFileSync(file, 'utf8'))
  const range = pkg.engines?.node
  if (typeof range !== 'string' || pkg.name === undefined) continue
  checked++
  if (semver.validRange(range) !== null && !semver.satisfies(oldest, range))
    misfits.push(`${pkg.name}@${pkg.version} needs node ${range} (${file.slice(root.length)})`)
}
if (misfits.length > 0) {
  console.error(
    `engines-audit: ${misfits.length} installed package(s) need a newer Node than engines.node "${own.engines.node}" (${oldest}):`,
  )
  for (const m of misfits) console.error(`  ${m}`)
  console.error(
    'Pin an older version that supports it (package.json "overrides"), or raise engines.node on purpose.',
  )
  process.exit(1)
}
console.log(`engines-audit: ${checked} packages declare a Node range; all accept ${oldest}`)
