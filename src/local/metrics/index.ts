/** Per-version traffic counters and their Prometheus exposition. */
export { TrafficRecorder } from './traffic-recorder.js'
export { renderPrometheus, type ExposedService } from './prometheus.js'
