/**
 * How deep a YAML document nests, counted without recursion: a stray bracket can nest a document
 * thousands of levels deep, deeper than a recursive walk (yaml's own, or ours) has stack for.
 */
import { isMap, isPair, isSeq } from 'yaml'

/** Manifests nest about ten levels; this leaves room for any real one. */
export const MAX_DEPTH = 64

/** Whether `root` nests more than `limit` collections deep. */
export function nestsTooDeep(root: unknown, limit = MAX_DEPTH): boolean {
  // Each entry: a node, and how many collections deep it is if it is one (the root's is 1).
  const stack: [unknown, number][] = [[root, 1]]
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top
    if (isMap(node) || isSeq(node)) {
      if (depth > limit) return true
      for (const item of node.items as unknown[]) stack.push([item, depth + 1])
    } else if (isPair(node)) stack.push([node.key, depth], [node.value, depth])
  }
  return false
}
