/** Per-version traffic counters and their Prometheus exposition (prom-client). */
export { TrafficRecorder } from './traffic-recorder.js'
export { ProxyMetrics, type ProxyMetricsSource } from './proxy-metrics.js'
