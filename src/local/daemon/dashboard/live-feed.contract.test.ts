/**
 * The dashboard's live feed against the EventSink contract: a real SQLite state store in a temporary
 * directory, and what a browser listening to the feed receives.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StoredEvent } from '../../../controller/ports.js'
import { runEventSinkContract } from '../../../controller/test-utils/event-sink-contract.js'
import type { EngineEvent } from '../../../engine/events.js'
import { StateStore } from '../../store/index.js'
import { rolloutRecord } from '../../store/test-utils/rollout-record.js'
import { LiveFeed } from './live-feed.js'

/** The `rollout-event` messages of an SSE stream, as stored events. */
function rolloutEvents(stream: string): StoredEvent[] {
  return stream
    .split('\n\n')
    .filter((m) => m.includes('event: rollout-event\n'))
    .map((m) => JSON.parse(m.slice(m.indexOf('data: ') + 'data: '.length)) as StoredEvent)
}

runEventSinkContract('dashboard live feed (SQLite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-feed-'))
  const store = StateStore.open(dir)
  for (const name of ['a', 'b']) store.rollouts.put(rolloutRecord(name))
  const logged: string[] = []
  const feed = new LiveFeed(
    { controllers: new Map(), store, supervisor: { status: () => undefined } },
    (line) => logged.push(line),
  )
  let stream = ''
  feed.subscribe({ send: (text) => (stream += text) })
  return Promise.resolve({
    sink: feed,
    persist: (rollout: string, events: EngineEvent[]) => {
      const status = store.rollouts.get(rollout)?.status
      if (status === undefined) throw new Error(`no rollout ${rollout} in the fixture`)
      store.saveStatus(rollout, status, events)
      return Promise.resolve()
    },
    passedOn: (rollout: string) => {
      if (logged.length > 0) throw new Error(`the feed logged: ${logged.join('; ')}`)
      return Promise.resolve(
        rolloutEvents(stream)
          .filter((e) => e.rollout === rollout)
          .map(({ id: _id, rollout: _rollout, ...e }) => e),
      )
    },
    close: () => {
      feed.stop()
      store.close()
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  })
})
