/**
 * Standard Kubernetes conditions (`type`, `status`, `reason`, `message`, `lastTransitionTime`,
 * `observedGeneration`), as `kubectl wait --for=condition=X` reads them. The transition time moves
 * only when the status does.
 */

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  lastTransitionTime: string
  observedGeneration?: number
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>

/** The new list: `wanted` in the order given, each keeping its old transition time if unchanged. */
export function mergeConditions(
  old: readonly Condition[] | undefined,
  wanted: readonly ConditionInput[],
  now: number,
  generation: number | undefined,
): Condition[] {
  return wanted.map((w) => {
    const before = old?.find((c) => c.type === w.type)
    const lastTransitionTime =
      before !== undefined && before.status === w.status
        ? before.lastTransitionTime
        : new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z')
    return {
      ...w,
      lastTransitionTime,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    }
  })
}

export function conditionOf(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type)
}
