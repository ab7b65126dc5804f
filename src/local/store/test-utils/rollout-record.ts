/** Rollout records for store tests: a small process Rollout as applied, with a given status. */
import { initialStatus, type RolloutStatus } from '../../../engine/status.js'
import { parseRolloutSet } from '../../../manifests/rollout-set.js'
import type { RolloutRecord } from '../rollout-table.js'

function manifest(name: string): string {
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: ${name} }
spec:
  workload: { process: { command: [node, app.js] } }
  service: { port: 8080 }
  strategy: { canary: { steps: [{ setWeight: 10 }] } }
`
}

/** The initial status at `revision`, with `message` (a long one makes a large row). */
export function statusAt(revision: number, message = ''): RolloutStatus {
  return { ...initialStatus(), revision, message }
}

/** `name` at revision 1, applied from /tmp, with `status` (default: the initial one). */
export function rolloutRecord(
  name: string,
  status: RolloutStatus = initialStatus(),
): RolloutRecord {
  const doc = parseRolloutSet([{ name: `${name}.yaml`, text: manifest(name) }]).rollouts[0]?.doc
  if (doc === undefined) throw new Error(`the test manifest of ${name} did not parse`)
  return { name, spec: { doc, templates: [], baseDir: '/tmp' }, templates: [], revision: 1, status }
}
