/** Reading and rewriting the user's pod template for the primary. */
import { describe, expect, it } from 'vitest'
import { configRefsOf, primaryTemplate, revisionHash, type PodTemplate } from './pod-template.js'

const template: PodTemplate = {
  metadata: { labels: { app: 'web', tier: 'front' } },
  spec: {
    volumes: [
      { name: 'conf', configMap: { name: 'web-conf' } },
      { name: 'tls', secret: { secretName: 'web-tls' } },
      {
        name: 'all',
        projected: { sources: [{ configMap: { name: 'shared' } }, { secret: { name: 'keys' } }] },
      },
    ],
    containers: [
      {
        name: 'app',
        envFrom: [{ configMapRef: { name: 'env-conf' } }],
        env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
      },
    ],
  },
}

describe('pod template', () => {
  it('finds every ConfigMap and Secret the template references', () => {
    expect(configRefsOf(template)).toEqual({
      configMaps: ['env-conf', 'shared', 'web-conf'],
      secrets: ['api', 'keys', 'web-tls'],
    })
  })

  it('gives the primary its own labels and its own copies of the configuration', () => {
    const p = primaryTemplate(template, { app: 'web' }, { 'kanari.dev/revision': '3' })
    expect(p.metadata?.labels).toEqual({ app: 'web-primary', tier: 'front' })
    expect(p.metadata?.annotations).toEqual({ 'kanari.dev/revision': '3' })
    expect(configRefsOf(p)).toEqual({
      configMaps: ['env-conf-primary', 'shared-primary', 'web-conf-primary'],
      secrets: ['api-primary', 'keys-primary', 'web-tls-primary'],
    })
    // the user's template is untouched
    expect(configRefsOf(template).configMaps).toContain('web-conf')
  })

  it('hashes template and configuration: a change of either is a new revision', () => {
    const configs = { configMaps: { 'web-conf': { data: { a: '1' } } }, secrets: {} }
    const h = revisionHash(template, configs)
    expect(revisionHash(structuredClone(template), structuredClone(configs))).toBe(h)
    expect(
      revisionHash(template, { configMaps: { 'web-conf': { data: { a: '2' } } }, secrets: {} }),
    ).not.toBe(h)
    const changed = structuredClone(template)
    ;(changed.metadata as { labels: Record<string, string> }).labels.tier = 'back'
    expect(revisionHash(changed, configs)).not.toBe(h)
  })
})
