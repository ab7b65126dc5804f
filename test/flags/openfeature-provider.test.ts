/**
 * Kanari's in-process OpenFeature provider with the real server SDK: flags fetched from a running
 * daemon and kept in sync over its change stream, evaluated in-process with flagd's semantics, and
 * outcomes reported with the variant each user got; also from a flag file with no daemon.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Daemon } from '../../src/local/daemon/daemon.js'
import { KanariProvider } from '../../src/openfeature/index.js'
import { waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-provider-test-'))
let daemon: Daemon

beforeAll(async () => {
  daemon = await Daemon.start({ stateDir, apiPort: 0, log: () => undefined })
  daemon.flags.setFlag(
    'new-checkout',
    {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 50],
          ['off', 50],
        ],
      },
    },
    'test',
  )
  daemon.flags.setFlag(
    'theme',
    {
      state: 'ENABLED',
      variants: { dark: { bg: '#000' }, light: { bg: '#fff' } },
      defaultVariant: 'light',
    },
    'test',
  )
})

afterAll(async () => {
  await OpenFeature.close()
  await daemon.stop({ keepReplicas: false })
  rmSync(stateDir, { recursive: true, force: true })
})

describe('KanariProvider', () => {
  it('evaluates the daemon’s flags in-process and follows their changes', async () => {
    const provider = new KanariProvider({ url: daemon.url, reportIntervalMs: 100 })
    await OpenFeature.setProviderAndWait('daemon', provider)
    const client = OpenFeature.getClient('daemon')
    // fractional over flag key + targeting key: the same users as the daemon's own evaluation
    for (let i = 0; i < 50; i++) {
      const ctx = { targetingKey: `user-${i}` }
      const local = await client.getBooleanDetails('new-checkout', false, ctx)
      const remote = daemon.flags.flagSet.evaluate('new-checkout', ctx, Date.now())
      expect(local).toMatchObject({
        value: remote.value,
        variant: remote.variant,
        reason: 'TARGETING_MATCH',
      })
    }
    expect(await client.getObjectValue('theme', {})).toEqual({ bg: '#fff' })
    expect(await client.getStringDetails('theme', 'x')).toMatchObject({
      value: 'x',
      errorCode: 'TYPE_MISMATCH',
    })
    const changes: string[][] = []
    client.addHandler(ProviderEvents.ConfigurationChanged, (e) =>
      changes.push(e?.flagsChanged ?? []),
    )
    daemon.flags.setState('new-checkout', 'DISABLED', 'test')
    await waitFor(
      async () => (await client.getBooleanDetails('new-checkout', true)).reason === 'DISABLED',
      'the change to arrive over the stream',
      10_000,
    )
    // docs/flags.md's provider table: the caller's default, reason DISABLED, no error code.
    const disabled = await client.getBooleanDetails('new-checkout', true)
    expect(disabled).toMatchObject({ value: true, reason: 'DISABLED' })
    expect(disabled.errorCode).toBeUndefined()
    expect(await client.getBooleanValue('new-checkout', false)).toBe(false)
    await waitFor(() => changes.flat().includes('new-checkout'), 'the ConfigurationChanged event')
    daemon.flags.setState('new-checkout', 'ENABLED', 'test')
  })

  it('reports tracked outcomes with the variant each user got', async () => {
    const client = OpenFeature.getClient('daemon')
    await waitFor(
      async () =>
        (await client.getBooleanDetails('new-checkout', false, { targetingKey: 'x' })).reason ===
        'TARGETING_MATCH',
      'the flag enabled again',
    )
    let on = 0
    for (let i = 0; i < 40; i++) {
      const ctx = { targetingKey: `user-${i}` }
      const value = await client.getBooleanValue('new-checkout', false, ctx)
      if (value) on++
      client.track('request', ctx, { flagKey: 'new-checkout', error: value, value: 12 })
    }
    const totals = await waitFor(() => {
      const t = daemon.flags.outcomes.totals('new-checkout')
      return (t.on?.requests ?? 0) + (t.off?.requests ?? 0) === 40 ? t : undefined
    }, 'the outcomes to reach the daemon')
    expect(totals).toEqual({
      on: { requests: on, errors: on },
      off: { requests: 40 - on, errors: 0 },
    })
  })

  it('evaluates a flag file without a daemon, reloading it when it changes', async () => {
    const file = join(stateDir, 'local-flags.json')
    const doc = (color: string) =>
      JSON.stringify({
        flags: {
          color: {
            state: 'ENABLED',
            variants: { red: 'red', blue: 'blue' },
            defaultVariant: color,
          },
        },
      })
    writeFileSync(file, doc('red'))
    await OpenFeature.setProviderAndWait('file', new KanariProvider({ flags: file }))
    const client = OpenFeature.getClient('file')
    expect(await client.getStringDetails('color', 'x')).toMatchObject({
      value: 'red',
      reason: 'STATIC',
    })
    writeFileSync(file, doc('blue'))
    await waitFor(
      async () => (await client.getStringValue('color', 'x')) === 'blue',
      'the file to be reloaded',
      10_000,
    )
  })
})
