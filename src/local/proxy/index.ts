/** Kanari's local proxy: weighted, sticky, header-routed and mirrored HTTP forwarding, with metrics. */
export { startProxy, type ProxyServer, type ProxyOptions } from './proxy-server.js'
export { MIRROR_MAX_BODY_BYTES } from './mirror.js'
export { chooseRoute, stickyBucket, parseCookies } from './routing.js'
export type { Backend, Endpoint, ProxyRoutes } from './types.js'
