/**
 * The id of a revision's backend in the proxy's routing table, and so the key of its traffic
 * counters: everything that reads a revision's traffic back names the backend with this.
 */
export function backendId(revision: number): string {
  return `rev-${revision}`
}
