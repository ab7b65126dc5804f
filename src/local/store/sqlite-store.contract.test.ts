/** The SQLite state store, in a real state directory, against the RolloutStore contract. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runRolloutStoreContract } from '../../controller/test-utils/rollout-store-contract.js'
import { SqliteRolloutStore, StateStore } from './index.js'
import { rolloutRecord } from './test-utils/rollout-record.js'

runRolloutStoreContract('SQLite state store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-contract-'))
  const state = StateStore.open(dir)
  for (const name of ['a', 'b']) state.rollouts.put(rolloutRecord(name))
  return Promise.resolve({
    store: new SqliteRolloutStore(state),
    close: () => {
      state.close()
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  })
})
