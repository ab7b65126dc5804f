/**
 * Picks the provider a metric names and asks it, so that a missing provider, a provider that throws
 * or one that never answers becomes a measurement error the judges count — never a pass.
 */
import type { Measurement, MeasurementRequest } from '../analysis/types.js'
import type { MeasureContext, MetricProviders } from './ports.js'

export async function measureWith(
  providers: MetricProviders,
  request: MeasurementRequest,
  context: MeasureContext,
  driver: string,
): Promise<Measurement> {
  const provider = providers[request.provider.kind]
  if (provider === undefined) {
    const builtin = providers.builtin === undefined ? '' : '; use a builtin metric'
    return {
      metric: request.metric,
      at: context.now,
      error: `metric provider "${request.provider.kind}" is not available in ${driver} yet${builtin}`,
    }
  }
  try {
    return await provider.measure(request, context)
  } catch (err) {
    return {
      metric: request.metric,
      at: context.now,
      error: `metric provider "${request.provider.kind}" failed: ${err instanceof Error ? err.message : String(err)}`,
    }
  }
}
