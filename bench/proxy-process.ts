/**
 * A proxy in its own process for the proxy benchmark (so it does not share an event loop with the
 * load generator). Routes come as JSON in argv[2]; prints the port, exits on SIGTERM.
 */
import { startProxy, type ProxyRoutes } from '../src/local/proxy/index.js'

const routes = JSON.parse(process.argv[2] ?? '{}') as ProxyRoutes
const proxy = await startProxy({ port: 0, routes, name: 'bench' })
process.stdout.write(`${proxy.port}\n`)
process.on('SIGTERM', () => void proxy.close({ drainMs: 100 }).then(() => process.exit(0)))
