/** `kanari import`: Argo Rollouts and Flagger manifests converted into Kanari's spec. */
export {
  importManifests,
  toYaml,
  formatNotCarried,
  formatNote,
  IMPORTED_KINDS,
  type ImportResult,
} from './import-manifests.js'
export type { NotCarried } from './source.js'
export type { ImportNote } from './context.js'
