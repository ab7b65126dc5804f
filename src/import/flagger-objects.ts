/** What a Flagger Canary's converter finds among the other objects of the input. */
import type { Source } from './source.js'

/** Flagger's MetricTemplates and AlertProviders of the input, found by name and namespace. */
export interface FlaggerObjects {
  metricTemplate(name: string, namespace: string | undefined): Source | undefined
  alertProvider(name: string, namespace: string | undefined): Source | undefined
  /** Marks a MetricTemplate or AlertProvider as used (an unused one gets a note). */
  use(src: Source): void
}
