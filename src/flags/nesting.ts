/**
 * How deep a value nests, counted without recursion, so a too-deep rule, variant or context is
 * refused with a clear message before any recursive walk (checks, compiling, hashing) runs out of stack.
 */

/**
 * Rules, variants and contexts may nest this many objects and arrays deep. Kanari's checks, compiler
 * and evaluator run well past it; `@openfeature/flagd-core` already refuses rules about half as deep,
 * and real rules nest a few dozen levels at most.
 */
export const MAX_NESTING = 1000

/** Whether `value` nests more than `limit` objects and arrays deep (the value itself is level 1). */
export function nestsDeeperThan(value: unknown, limit = MAX_NESTING): boolean {
  const stack: [unknown, number][] = [[value, 1]]
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top
    if (node === null || typeof node !== 'object') continue
    if (depth > limit) return true
    for (const child of Object.values(node)) stack.push([child, depth + 1])
  }
  return false
}
