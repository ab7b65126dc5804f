/** Kanari's local proxy: weighted, sticky, header-routed and mirrored HTTP forwarding, with metrics. */
export {
  startProxy,
  MIRROR_MAX_BODY_BYTES,
  type ProxyServer,
  type ProxyOptions,
} from './proxy-server.js'
export { chooseRoute, stickyBucket, parseCookies } from './routing.js'
export type { Backend, Endpoint, ProxyRoutes } from './types.js'
