/**
 * The actions on a rollout — promote, promote fully, abort, retry, pause/resume, undo — each behind a
 * confirmation that says what happens to users' traffic. The daemon decides: without a session it
 * refuses, and the refusal is shown as it said it.
 */
import { useEffect, useRef, useState } from 'react'
import { ApiError, api, type RolloutView } from '../api.js'
import { SESSION_CHANGED } from './session-bar.js'

const READ_ONLY_TITLE =
  'Read-only: this browser has no session. Run `kanari dashboard` and open its sign-in link, or paste the API token under “sign in to act”.'

/** Whether this browser may act: undefined until the daemon said (the daemon decides anyway). */
function useCanAct(): boolean | undefined {
  const [canAct, setCanAct] = useState<boolean | undefined>(undefined)
  useEffect(() => {
    const check = () =>
      void api.session().then(
        (s) => setCanAct(s.canAct),
        () => setCanAct(undefined),
      )
    check()
    window.addEventListener(SESSION_CHANGED, check)
    return () => window.removeEventListener(SESSION_CHANGED, check)
  }, [])
  return canAct
}

type ActionId = 'promote' | 'promote-full' | 'abort' | 'retry' | 'pause' | 'resume' | 'undo'

interface Planned {
  id: ActionId
  title: string
  /** What happens to users' traffic, in a sentence or two. */
  effect: string
  run: () => Promise<unknown>
}

/** The canary's weight after the steps from `from` on are done, up to the next pause or analysis. */
function weightAfterSkip(view: RolloutView, from: number): number {
  const s = view.plan.strategy
  if (s.kind !== 'canary') return 100
  for (let i = from; i < s.steps.length; i++) {
    const step = s.steps[i]
    if (step?.kind === 'setWeight') return step.weight
  }
  return 100
}

function firstWeight(view: RolloutView): number {
  return weightAfterSkip(view, 0)
}

function outcomeOf(view: RolloutView, revision: number) {
  return view.undo.revisions.find((r) => r.revision === revision)?.outcome
}

export function plannedActions(view: RolloutView, undoTo: number | undefined): Planned[] {
  const st = view.status
  const name = view.name
  const canary = st.canaryRevision
  const stable = st.stableRevision
  const w = st.traffic.canaryWeight
  const inFlight = canary !== null && st.phase !== 'RolledBack' && st.phase !== 'Healthy'
  const list: Planned[] = []
  // A release frozen by a failed analysis waits for one of three decisions, and only those.
  if (inFlight && st.phase === 'Paused' && st.pause?.reason === 'Frozen')
    return [
      {
        id: 'promote-full',
        title: 'Promote',
        effect: `Overrules the failed analysis: 100% of users go to r${canary} now, skipping every remaining step and analysis; r${stable ?? '—'} stops serving.`,
        run: () => api.command(name, 'promote', { full: true }),
      },
      {
        id: 'abort',
        title: 'Abort',
        effect: `Rolls back now: all users go back to the stable r${stable ?? '—'}; the canary r${canary} (${w}% of users now) gets no more traffic and is scaled down.`,
        run: () => api.command(name, 'abort', { reason: 'aborted from the dashboard' }),
      },
      {
        id: 'retry',
        title: 'Retry analysis',
        effect: `Runs the failed analysis again at step ${st.currentStepIndex + 1}, with r${canary} kept at ${w}% of users; if it passes the steps go on.`,
        run: () => api.command(name, 'retry'),
      },
    ]
  // Promote and abort only mean something while a release is in flight; the daemon refuses them
  // otherwise, so they are not offered.
  if (inFlight)
    list.push(
      {
        id: 'promote',
        title: 'Promote',
        effect: `Skips the current step (step ${st.currentStepIndex + 1}). The canary r${canary} goes from ${w}% of users to ${weightAfterSkip(view, st.currentStepIndex + 1)}% as the next steps say; later analyses still run.`,
        run: () => api.command(name, 'promote', { full: false }),
      },
      {
        id: 'promote-full',
        title: 'Promote fully',
        effect: `Sends 100% of users to r${canary} now, skipping every remaining step and analysis; r${stable ?? '—'} stops serving.`,
        run: () => api.command(name, 'promote', { full: true }),
      },
      {
        id: 'abort',
        title: 'Abort',
        effect: `Rolls back now: all users go back to the stable r${stable ?? '—'}; the canary r${canary} (${w}% of users now) gets no more traffic and is scaled down.`,
        run: () => api.command(name, 'abort', { reason: 'aborted from the dashboard' }),
      },
    )
  if (st.phase === 'RolledBack')
    list.push({
      id: 'retry',
      title: 'Retry',
      effect: `Starts r${st.revision} again from step 1: ${firstWeight(view)}% of users go to it, then the steps go on as before.`,
      run: () => api.command(name, 'retry'),
    })
  if (st.userPaused || st.phase === 'Paused')
    list.push({
      id: 'resume',
      title: 'Resume',
      effect: `The rollout goes on from step ${st.currentStepIndex + 1}; the canary's share (${w}% now) changes as its steps say.`,
      run: () => api.command(name, 'resume'),
    })
  else if (inFlight)
    list.push({
      id: 'pause',
      title: 'Pause',
      effect: `Holds the rollout at step ${st.currentStepIndex + 1}: traffic stays as it is (${w}% on the canary) until someone resumes.`,
      run: () => api.command(name, 'pause'),
    })
  if (undoTo !== undefined) {
    // The confirmation is where a rolled-back target is asked about: confirming it forces.
    const rolledBack = outcomeOf(view, undoTo) === 'rolledBack'
    list.push({
      id: 'undo',
      title: `Undo to r${undoTo}`,
      effect:
        undoTo === stable
          ? `Goes back to the stable r${undoTo}: all users go to it${canary === null ? '' : `; the canary r${canary} is dropped`}.`
          : `${rolledBack ? `r${undoTo} was rolled back: its failure may come back. ` : ''}Rolls revision ${undoTo}'s workload out again as a new release: it goes through the steps like any other, starting at ${firstWeight(view)}% of users.`,
      run: () => api.undo(name, undoTo, rolledBack),
    })
  }
  return list
}

export function Actions({ view, onDone }: { view: RolloutView; onDone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null)
  // Every earlier revision is stored; newest first. The default is the daemon's: the newest that
  // was promoted and healthy, never a rolled-back one.
  const revisions = view.undo.revisions
    .filter((r) => r.revision !== view.revision)
    .sort((a, b) => b.revision - a.revision)
  const [undoTo, setUndoTo] = useState<number | undefined>(undefined)
  const target = undoTo ?? view.undo.defaultRevision ?? undefined
  const actions = plannedActions(view, target)
  const [pending, setPending] = useState<Planned | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const readOnly = useCanAct() === false

  const ask = (a: Planned) => {
    setPending(a)
    setResult(undefined)
    dialog.current?.showModal()
  }
  const confirm = async () => {
    if (pending === undefined) return
    setBusy(true)
    try {
      await pending.run()
      setResult({ ok: true, text: `${pending.title}: done.` })
      onDone()
    } catch (err) {
      const text =
        err instanceof ApiError
          ? err.status === 401
            ? `${pending.title} refused: this browser has no session. Run \`kanari dashboard\` and open its sign-in link, or paste the API token under “Sign in”.`
            : `${pending.title} refused: ${err.message}${err.hint === undefined ? '' : ` — ${err.hint}`}`
          : `${pending.title} failed: ${String(err)}`
      setResult({ ok: false, text })
    } finally {
      setBusy(false)
      dialog.current?.close()
    }
  }

  return (
    <section className="actions" aria-labelledby="actions-title">
      <h2 id="actions-title" className="visually-hidden">
        Actions
      </h2>
      <div className="action-buttons">
        {actions.map((a) => (
          <button
            key={a.id}
            type="button"
            data-action={a.id}
            className={a.id === 'abort' ? 'danger' : ''}
            disabled={readOnly}
            {...(readOnly ? { title: READ_ONLY_TITLE } : {})}
            onClick={() => ask(a)}
          >
            {a.title}
          </button>
        ))}
        {revisions.length > 0 && (
          <label className="undo-pick">
            undo to{' '}
            <select
              value={target ?? ''}
              onChange={(e) => setUndoTo(Number(e.target.value))}
              aria-label="revision to undo to"
            >
              {target === undefined && <option value="">—</option>}
              {revisions.map((r) => (
                <option key={r.revision} value={r.revision}>
                  r{r.revision}
                  {r.outcome === 'rolledBack' ? ' (rolled back)' : ''}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <p
        className={`action-result ${result?.ok === false ? 'refused' : ''}`}
        role="status"
        aria-live="polite"
        id="action-result"
      >
        {result === undefined ? '' : `${result.ok ? '✓' : '✗'} ${result.text}`}
      </p>
      <dialog
        ref={dialog}
        className="confirm"
        aria-labelledby="confirm-title"
        onClose={() => setPending(undefined)}
      >
        {pending !== undefined && (
          <form method="dialog" onSubmit={(e) => e.preventDefault()}>
            <h2 id="confirm-title">
              {pending.title} rollout {view.name}?
            </h2>
            <p className="effect" id="confirm-effect">
              {pending.effect}
            </p>
            <div className="dialog-buttons">
              <button type="button" onClick={() => dialog.current?.close()} autoFocus>
                Cancel
              </button>
              <button
                type="button"
                className={pending.id === 'abort' ? 'danger' : 'primary'}
                data-confirm={pending.id}
                disabled={busy}
                onClick={() => void confirm()}
              >
                {pending.title}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </section>
  )
}
