/** The dashboard's entry: the live stream, the header, and the page the address asks for. */
import { StrictMode, useEffect } from 'react'
import { createRoot } from 'react-dom/client'
import { SessionBar } from './components/session-bar.js'
import { live, useLive } from './live.js'
import { RolloutPage } from './pages/rollout-page.js'
import { RolloutsList } from './pages/rollouts-list.js'
import { WhatIfPage } from './pages/what-if.js'
import { href, useRoute } from './route.js'
import './styles.css'

function App() {
  const route = useRoute()
  const { connection } = useLive()
  useEffect(() => live.start(), [])
  useEffect(() => {
    document.title =
      route.page === 'list'
        ? 'Kanari — rollouts'
        : `Kanari — ${route.name}${route.page === 'what-if' ? ' — what if' : ''}`
  }, [route])
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href={href.list()}>
          <img src="/favicon.svg" alt="" width="22" height="22" /> Kanari
        </a>
        <SessionBar connection={connection} />
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'list' ? (
          <RolloutsList />
        ) : route.page === 'rollout' ? (
          <RolloutPage key={route.name} name={route.name} />
        ) : (
          <WhatIfPage key={route.name} name={route.name} />
        )}
      </main>
    </>
  )
}

const root = document.getElementById('root')
if (root !== null)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
