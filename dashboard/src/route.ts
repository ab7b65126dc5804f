/** Hash routes (`#/`, `#/rollouts/NAME`, `#/rollouts/NAME/what-if`): the daemon serves one page. */
import { useSyncExternalStore } from 'react'

export type Route =
  { page: 'list' } | { page: 'rollout'; name: string } | { page: 'what-if'; name: string }

export function parseRoute(hash: string): Route {
  const m = /^#\/rollouts\/([^/]+)(\/what-if)?\/?$/.exec(hash)
  if (m?.[1] === undefined) return { page: 'list' }
  const name = decodeURIComponent(m[1])
  return m[2] === undefined ? { page: 'rollout', name } : { page: 'what-if', name }
}

export const href = {
  list: () => '#/',
  rollout: (name: string) => `#/rollouts/${encodeURIComponent(name)}`,
  whatIf: (name: string) => `#/rollouts/${encodeURIComponent(name)}/what-if`,
}

function subscribe(l: () => void): () => void {
  window.addEventListener('hashchange', l)
  return () => window.removeEventListener('hashchange', l)
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash)
  return parseRoute(hash)
}
