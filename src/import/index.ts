/** `kanari import`: Argo Rollouts and Flagger manifests converted into Kanari's spec. */
export {
  importManifests,
  toYaml,
  formatLeftAlone,
  formatNotCarried,
  formatNote,
  type ImportOptions,
  type ImportResult,
} from './import-manifests.js'
export { IMPORTED_KINDS, type LeftAlone } from './classify.js'
export type { NotCarried } from './source.js'
export type { ImportNote } from './context.js'
