/**
 * A rollout's proxy as a process of its own, so users keep being served while the daemon is down or
 * restarting: it holds the last routing table and the per-version counters, and a restarted daemon
 * adopts it. Started by the daemon with its configuration in KANARI_PROXY_CONFIG.
 */
import { ProxyMetrics } from '../metrics/proxy-metrics.js'
import { HELPER_LOG_CAP_BYTES, OwnLog } from '../own-log.js'
import { startProxy, type ProxyServer } from '../proxy/index.js'
import { startControlServer } from './control-server.js'
import { startMetricsServer } from './metrics-server.js'
import {
  PROXY_CONFIG_ENV,
  proxyLogPath,
  type ProxyHostConfig,
  type ProxyHostHello,
} from './protocol.js'

function hello(line: ProxyHostHello): void {
  // The daemon reads this one line, then stops listening; nothing else goes to stdout.
  process.stdout.write(JSON.stringify(line) + '\n')
}

const config = JSON.parse(process.env[PROXY_CONFIG_ENV] ?? '{}') as ProxyHostConfig
/** The proxy's own lines, to stderr (`logs/proxy-<rollout>.log`, kept under its cap). */
const ownLog = new OwnLog(2, proxyLogPath(config.stateDir, config.name), HELPER_LOG_CAP_BYTES)
function log(line: string): void {
  ownLog.write(`${new Date().toISOString()} ${line}`)
}
let proxy: ProxyServer
try {
  proxy = await startProxy({
    host: config.host,
    port: config.port,
    routes: { backends: [], weights: [], headerRoutes: [] },
    name: config.name,
  })
} catch (err) {
  const e = err as NodeJS.ErrnoException
  hello({ listening: false, code: e.code ?? 'ERROR', message: e.message })
  process.exit(1)
}

let closing = false
const close = (drainMs: number): void => {
  if (closing) return
  closing = true
  log(`proxy ${config.name}: closing (draining up to ${drainMs} ms)`)
  void proxy.close({ drainMs }).finally(() => {
    control.close()
    metrics.close()
    process.exit(0)
  })
}
const control = await startControlServer(proxy, config.socketPath, close)
const served = proxy
const metrics = await startMetricsServer(
  new ProxyMetrics({
    rollout: config.name,
    traffic: served.traffic,
    routes: () => served.routes,
  }).withProcessMetrics(),
  '127.0.0.1',
)
const metricsAddress = metrics.address()
const metricsPort =
  typeof metricsAddress === 'object' && metricsAddress !== null ? metricsAddress.port : 0
process.on('SIGTERM', () => close(5000))
process.on('SIGINT', () => close(5000))
// The daemon may go away at any time; the proxy goes on serving.
process.stdout.on('error', () => undefined)
process.on('SIGPIPE', () => undefined)
hello({ listening: true, port: proxy.port, pid: process.pid, metricsPort })
log(
  `proxy ${config.name}: serving ${config.host}:${proxy.port}, control ${config.socketPath}, metrics http://127.0.0.1:${metricsPort}/metrics`,
)
