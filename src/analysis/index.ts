/** Analysis: measurements, conditions, judges and the analysis-run lifecycle. Pure. */
export * from './types.js'
export * from './traffic.js'
export {
  builtinMetricValue,
  recordMeasurements,
  requestMeasurements,
  runDurationSeconds,
  sequentialEvidence,
  startAnalysisRun,
  startSegment,
} from './run.js'
export { judgeMeasurement } from './measurement.js'
export * from './vocabulary.js'
export { checkConditionSyntax, evaluateCondition, parseCondition } from './condition.js'
export { judges } from './judges/index.js'
export { mulberry32, sampleBinomial } from './random.js'
