/** Names are unique per kind across every file of a set: the second of a name points at the first. */
import { quote } from '../shown-value.js'
import type { DocumentProblems } from './document-problems.js'

export class UniqueNames {
  private readonly first = new Map<string, string>()

  /** Records `name` for `kind`; a problem when a document of that kind already has it. */
  claim(p: DocumentProblems, kind: string, name: string): void {
    const key = `${kind}/${name}`
    const first = this.first.get(key)
    if (first === undefined) {
      this.first.set(key, `${p.doc.file}:${p.doc.lineOf(['metadata', 'name'])}`)
      return
    }
    p.add(
      ['metadata', 'name'],
      `a second ${kind} named ${quote(name)} (the first is at ${first}); rename one or remove the copy`,
    )
  }
}
