/**
 * A Rollout validated and planned, kept until what it depends on changes: the object (uid,
 * generation, labels), the target's revision, and the analysis templates in reach.
 */
import type { Informer } from '../kit/informer.js'
import type { KubeObject } from '../kit/types.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import { readRollout, templatesFor } from './rollout-spec.js'

export type RolloutRead = ReturnType<typeof readRollout>

export class RolloutReads {
  readonly #reads = new Map<string, { key: string; read: RolloutRead }>()

  constructor(
    private readonly templates: Pick<Informer<KubeObject>, 'list'>,
    private readonly clusterTemplates: Pick<Informer<KubeObject>, 'list'>,
  ) {}

  read(object: RolloutObject, revision: number): RolloutRead {
    const templates = templatesFor(
      this.templates.list(object.metadata.namespace),
      this.clusterTemplates.list(),
    )
    const key = [
      object.metadata.uid,
      object.metadata.generation,
      JSON.stringify(object.metadata.labels ?? {}),
      revision,
      ...templates.map((t) => `${t.metadata.name}@${t.metadata.resourceVersion ?? ''}`),
    ].join('|')
    const id = `${object.metadata.namespace ?? ''}/${object.metadata.name}`
    const cached = this.#reads.get(id)
    if (cached?.key === key) return cached.read
    const read = readRollout(object, templates, revision)
    this.#reads.set(id, { key, read })
    return read
  }

  forget(id: string): void {
    this.#reads.delete(id)
  }
}
