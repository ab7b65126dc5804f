/**
 * `kanari import`: Argo Rollouts (Rollout, AnalysisTemplate, ClusterAnalysisTemplate) and Flagger
 * (Canary, MetricTemplate, AlertProvider) manifests in, Kanari's out — with every input field that
 * could not be carried over, where it was and why, every other object of the input left alone, notes
 * on what to set by hand, and what `kanari lint` says of the result. Input it cannot read (not YAML,
 * not an object, a version of a kind it does not read) is refused whole, with every problem at once;
 * so, with `strict`, is an object it would leave alone.
 */
import { stringify } from 'yaml'
import { InputError } from '../errors.js'
import { checkRolloutSet, type SourceFile } from '../manifests/rollout-set.js'
import { loadDocuments, type LoadedDocument } from '../spec/load.js'
import { formatProblem, type SpecProblem } from '../spec/problems.js'
import { convertAnalysisTemplate } from './argo-analysis.js'
import { convertArgoRollout } from './argo-rollout.js'
import {
  classify,
  formatLeftAlone,
  KNOWN,
  nameOf,
  type ImportedKind,
  type LeftAlone,
} from './classify.js'
import { ImportContext, kanariName, type Doc, type ImportNote } from './context.js'
import { convertFlaggerCanary, type FlaggerObjects } from './flagger-canary.js'
import { finishAlertProvider } from './flagger-alerts.js'
import { finishMetricTemplate } from './flagger-metrics.js'
import { Source, type NotCarried } from './source.js'

export interface ImportResult {
  /** Kanari manifests, in the order of the input objects they come from. */
  documents: Doc[]
  /** Every other Kubernetes object of the input, not converted, with where and why. */
  leftAlone: LeftAlone[]
  /** Every input field that is not in the output, with where and why. */
  notCarried: NotCarried[]
  /** What to set or check by hand. */
  notes: ImportNote[]
  /** What `kanari lint` finds in the result (none when it passes). */
  lint: SpecProblem[]
}

export interface ImportOptions {
  /** Refuse the whole input when it holds an object import would leave alone. */
  strict?: boolean
}

/** The name the result is linted under: its lines are those of the YAML printed. */
export const RESULT_NAME = '<import result>'

interface Input {
  src: Source
  kind: ImportedKind
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`
}

/** The refusal of the whole input: every problem at once, and nothing converted. */
function refuse(what: string, problems: SpecProblem[], hint: string): InputError {
  return new InputError(`cannot import: ${what}:\n  ${problems.map(formatProblem).join('\n  ')}`, {
    hint: `${hint}; nothing was converted`,
    details: problems,
  })
}

function asProblem(o: LeftAlone): SpecProblem {
  return {
    file: o.file,
    line: o.line,
    path: '',
    message: `${o.kind}/${o.name} (${o.apiVersion}) is not converted: ${o.reason}`,
  }
}

function namespaceOf(src: Source): string | undefined {
  const ns = src.get(['metadata', 'namespace'])
  return typeof ns === 'string' ? ns : undefined
}

/** Finds one of Flagger's referenced objects: by name and namespace, else by a name only one has. */
function finder(inputs: Input[], kind: ImportedKind) {
  const candidates = inputs.filter((i) => i.kind === kind).map((i) => i.src)
  return (name: string, namespace: string | undefined): Source | undefined => {
    const named = candidates.filter((c) => c.get(['metadata', 'name']) === name)
    return (
      named.find((c) => namespaceOf(c) === namespace) ?? (named.length === 1 ? named[0] : undefined)
    )
  }
}

/** The objects to convert and those left alone; throws when the input cannot be imported. */
function readInputs(
  files: SourceFile[],
  options: ImportOptions,
): { inputs: Input[]; leftAlone: LeftAlone[] } {
  const loaded: LoadedDocument[] = []
  const problems: SpecProblem[] = []
  for (const f of files) {
    const { documents, problems: yaml } = loadDocuments(f.text, f.name)
    loaded.push(...documents)
    problems.push(...yaml)
    if (documents.length === 0 && yaml.length === 0)
      problems.push({ file: f.name, line: 1, path: '', message: 'has no documents' })
  }
  const inputs: Input[] = []
  const leftAlone: LeftAlone[] = []
  for (const doc of loaded) {
    const c = classify(doc)
    if ('kind' in c) inputs.push({ src: new Source(doc, `${c.kind}/${nameOf(doc)}`), kind: c.kind })
    else if ('leftAlone' in c) leftAlone.push(c.leftAlone)
    else problems.push({ file: doc.file, line: doc.lineOf([]), path: '', message: c.problem })
  }
  if (problems.length > 0)
    throw refuse(
      `${plural(problems.length, 'problem')} in the input`,
      problems,
      `fix these and run it again (it converts ${KNOWN})`,
    )
  if (options.strict === true && leftAlone.length > 0)
    throw refuse(
      `--strict, and ${plural(leftAlone.length, 'object')} of the input would be left alone`,
      leftAlone.map(asProblem),
      `pass only ${KNOWN} manifests with -f, or leave out --strict to convert those and list the rest`,
    )
  if (inputs.length === 0)
    throw refuse(
      leftAlone.length === 1
        ? 'the only object in the input is not one kanari import converts'
        : `none of the ${leftAlone.length} objects in the input is one kanari import converts`,
      leftAlone.map(asProblem),
      `pass the files that hold ${KNOWN} manifests with -f`,
    )
  return { inputs, leftAlone }
}

/** ClusterAnalysisTemplate names as Kanari's: one named like an AnalysisTemplate gets `-cluster`. */
function clusterTemplateNames(inputs: Input[]): Map<string, string> {
  // One kind of template in Kanari: a ClusterAnalysisTemplate named like an AnalysisTemplate is renamed.
  const templateNames = new Set(
    inputs
      .filter((i) => i.kind === 'AnalysisTemplate')
      .map((i) => kanariName(String(i.src.get(['metadata', 'name'])))),
  )
  const renames = new Map<string, string>()
  for (const i of inputs)
    if (i.kind === 'ClusterAnalysisTemplate') {
      const name = String(i.src.get(['metadata', 'name']))
      const base = kanariName(name)
      renames.set(name, templateNames.has(base) ? kanariName(`${base}-cluster`) : base)
    }
  return renames
}

/** What is left of Flagger's MetricTemplates and AlertProviders once the Canaries used them. */
function finishFlaggerObjects(inputs: Input[], used: ReadonlySet<Source>): void {
  for (const { src, kind } of inputs) {
    if (kind !== 'MetricTemplate' && kind !== 'AlertProvider') continue
    if (!used.has(src)) {
      src.take(['apiVersion'])
      src.take(['kind'])
      src.take(['metadata'])
      src.drop(
        ['spec'],
        `no Canary of the input uses this ${kind}: Kanari has no ${kind} object; it is carried into the Canaries that use it`,
      )
      continue
    }
    if (kind === 'MetricTemplate') finishMetricTemplate(src)
    else finishAlertProvider(src)
  }
}

export function importManifests(files: SourceFile[], options: ImportOptions = {}): ImportResult {
  const { inputs, leftAlone } = readInputs(files, options)
  const ctx = new ImportContext()
  const renames = clusterTemplateNames(inputs)
  const used = new Set<Source>()
  const objects: FlaggerObjects = {
    metricTemplate: finder(inputs, 'MetricTemplate'),
    alertProvider: finder(inputs, 'AlertProvider'),
    use: (src) => used.add(src),
  }
  const documents: Doc[] = []
  for (const { src, kind } of inputs) {
    switch (kind) {
      case 'Rollout':
        documents.push(convertArgoRollout(src, ctx, renames))
        break
      case 'AnalysisTemplate':
        documents.push(
          convertAnalysisTemplate(src, ctx, kanariName(String(src.get(['metadata', 'name'])))),
        )
        break
      case 'ClusterAnalysisTemplate': {
        const name = String(src.get(['metadata', 'name']))
        documents.push(convertAnalysisTemplate(src, ctx, renames.get(name) ?? kanariName(name)))
        break
      }
      case 'Canary':
        documents.push(convertFlaggerCanary(src, ctx, objects))
        break
      case 'MetricTemplate':
      case 'AlertProvider':
        break
    }
  }
  finishFlaggerObjects(inputs, used)

  const notCarried = inputs.flatMap(({ src }) => src.notCarried())
  // Notes in the order of the input: file by file, line by line.
  const order = new Map(files.map((f, i) => [f.name, i]))
  const notes = [...ctx.notes].sort(
    (a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line,
  )
  // Linted as printed, so the lines of its problems are those of the YAML `kanari import` prints.
  const { problems: lint } = checkRolloutSet([{ name: RESULT_NAME, text: toYaml(documents) }])
  return { documents, leftAlone, notCarried, notes, lint }
}

/** The documents as one multi-document YAML stream. */
export function toYaml(documents: Doc[]): string {
  return documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n')
}

export function formatNotCarried(n: NotCarried): string {
  return `${n.file}:${n.line} ${n.object} ${n.path}: ${n.reason}`
}

export function formatNote(n: ImportNote): string {
  return `${n.file}:${n.line} ${n.object}: ${n.message}`
}

export { formatLeftAlone }
