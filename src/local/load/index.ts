/** Bounded load generation for the demo and the benchmarks. */
export { runLoad, type LoadOptions, type LoadResult, type LoadSummary } from './run-load.js'
