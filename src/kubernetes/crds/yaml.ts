/** The CRDs as the YAML file deploy/ and the Helm chart ship (and `kanari crds` prints). */
import { stringify } from 'yaml'
import { kanariCrds } from './definitions.js'

export function crdsYaml(): string {
  return (
    '# The CustomResourceDefinitions of kanari.dev, generated from the spec (src/spec/schema.ts) by\n' +
    '# `kanari crds`: regenerate rather than edit.\n' +
    kanariCrds()
      .map((c) => stringify(c, { lineWidth: 0 }))
      .join('---\n')
  )
}
