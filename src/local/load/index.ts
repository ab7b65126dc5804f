/** Bounded load generation: `kanari loadtest`, load-test webhooks, the demo and the benchmarks. */
export {
  countResult,
  runLoad,
  type LoadOptions,
  type LoadProgress,
  type LoadResult,
  type LoadSummary,
} from './run-load.js'
export {
  parseLoadtestBody,
  requestProblems,
  urlProblem,
  type LoadtestRequest,
} from './loadtest-request.js'
export { LoadtestRuns, MAX_RUNNING_LOADTESTS, type LoadtestRunView } from './loadtest-runs.js'
