/** Kanari's version, as printed by `kanari --version` and reported by the daemon. */
export const KANARI_VERSION = '0.1.0'
