/**
 * Whether this browser can act, and how to change that: a sign-in link from `kanari dashboard`, or
 * the API token pasted here (sent once in a header, traded for a cookie, never kept by the page).
 */
import { useEffect, useState } from 'react'
import { api, type SessionState } from '../api.js'
import type { Connection } from '../live.js'

const CONNECTION_WORDS: Record<Connection, string> = {
  connecting: '… connecting',
  live: '● live',
  reconnecting: '○ reconnecting…',
}

/** Dispatched on `window` whenever this browser's session may have changed. */
export const SESSION_CHANGED = 'kanari-session-changed'

export function SessionBar({ connection }: { connection: Connection }) {
  const [session, setSession] = useState<SessionState | undefined>(undefined)
  const [token, setToken] = useState('')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const refresh = () => {
    api.session().then(setSession, () => setSession(undefined))
    // The actions show whether they can run: tell them the session may have changed.
    window.dispatchEvent(new Event(SESSION_CHANGED))
  }
  useEffect(refresh, [connection])

  return (
    <div className="session-bar">
      <span className={`connection connection-${connection}`} id="connection" role="status">
        {CONNECTION_WORDS[connection]}
      </span>
      {session?.canAct === true ? (
        <span id="session" data-can-act="true">
          signed in: actions allowed{' '}
          <button type="button" onClick={() => void api.signOut().then(refresh, refresh)}>
            Sign out
          </button>
        </span>
      ) : (
        <details className="sign-in" id="session" data-can-act="false">
          <summary>read-only · sign in to act</summary>
          <p>
            Run <code>kanari dashboard</code> and open the sign-in link it prints, or paste the
            token from <code>&lt;state-dir&gt;/api.json</code>:
          </p>
          <form
            onSubmit={(e) => {
              e.preventDefault()
              api.signIn(token).then(
                () => {
                  setToken('')
                  setProblem(undefined)
                  refresh()
                },
                (err: unknown) => setProblem(err instanceof Error ? err.message : String(err)),
              )
            }}
          >
            <label>
              API token{' '}
              <input
                type="password"
                autoComplete="off"
                value={token}
                onChange={(e) => setToken(e.target.value)}
              />
            </label>{' '}
            <button type="submit">Sign in</button>
          </form>
          {problem === undefined ? null : <p role="alert">{problem}</p>}
        </details>
      )}
    </div>
  )
}
