/**
 * How the daemon and a rollout's proxy process talk: the configuration the process starts with, the
 * one line it prints when it is listening (or why it cannot), and the control API it serves on a
 * Unix socket in the state directory.
 */
import { join } from 'node:path'

/** Given to the proxy process in this environment variable, as JSON. */
export const PROXY_CONFIG_ENV = 'KANARI_PROXY_CONFIG'
/** Set in the proxy process's environment, so a later daemon can tell it is ours. */
export const PROXY_ID_ENV = 'KANARI_PROXY_ID'

export interface ProxyHostConfig {
  /** The rollout the proxy serves. */
  name: string
  host: string
  port: number
  /** The daemon's state directory: the proxy's log is under it. */
  stateDir: string
  /** Unix socket of the control API. */
  socketPath: string
  /** Unique per process: adoption checks it in the process's environment. */
  id: string
}

/** The one line the proxy process prints on stdout once it listens, or when it cannot. */
export type ProxyHostHello =
  | { listening: true; port: number; pid: number; metricsPort: number }
  | { listening: false; code: string; message: string }

/** The daemon keeps each proxy's record under this prefix and the rollout's name in its store. */
export const PROXY_RECORD_PREFIX = 'proxy:'

/** What the daemon keeps about a running proxy process, to find it again after a restart. */
export interface ProxyHostRecord {
  name: string
  id: string
  pid: number
  port: number
  socketPath: string
  startedAt: number
  /** Its `/metrics` on 127.0.0.1; absent in records of proxies started before it existed. */
  metricsPort?: number
}

/** Control API paths (HTTP over the Unix socket). */
export const CONTROL = {
  /** GET: the routing table in force; PUT: a new one. */
  routes: '/routes',
  /** GET ?backend=&from=&to=: how a backend answered in whole seconds [from, to). */
  window: '/window',
  /** GET: lifetime counters of every backend. */
  totals: '/totals',
  /** GET ?backend=&from=&to=: a backend's requests by method, path and status in [from, to). */
  breakdown: '/breakdown',
  /** POST ?drainMs=: stop accepting, drain, exit. */
  close: '/close',
} as const

/** The proxy process's own log (its stderr). */
export function proxyLogPath(stateDir: string, rollout: string): string {
  return join(stateDir, 'logs', `proxy-${rollout}.log`)
}
