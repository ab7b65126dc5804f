/**
 * Plain text tables: columns padded to the widest cell. Given a width, the table fits it by wrapping
 * the cells of the columns allowed to wrap (at spaces), narrowing the widest of them first. The
 * report, the CLI and the demo print them.
 */
import { wrapWords } from './wrap.js'

export interface TableOptions {
  /** Fit the table in this many characters, if wrapping the `wrap` columns can. */
  width?: number
  /** Indexes of the columns whose cells may wrap onto more lines. */
  wrap?: readonly number[]
}

const GAP = 2

/** Column widths: natural, then narrowed (widest wrappable first) until the table fits. */
function columnWidths(headers: string[], rows: string[][], options: TableOptions): number[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  if (options.width === undefined) return widths
  // A column never gets narrower than its longest word; a wrapping column's header wraps too.
  const floor = headers.map((h, i) =>
    Math.max(
      ...(options.wrap?.includes(i) === true ? h.split(' ') : [h]).map((w) => w.length),
      ...rows.flatMap((r) => (r[i] ?? '').split(' ').map((w) => w.length)),
    ),
  )
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1)
  while (total() > options.width) {
    let widest = -1
    for (const i of options.wrap ?? [])
      if (
        (widths[i] ?? 0) > (floor[i] ?? 0) &&
        (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))
      )
        widest = i
    if (widest < 0) break
    widths[widest] = (widths[widest] ?? 1) - 1
  }
  return widths
}

/**
 * The table's header (its lines joined by newlines: more than one when a header wrapped) and, for
 * each row, its lines (more than one when a cell wrapped).
 */
export function layoutTable(
  headers: string[],
  rows: string[][],
  options: TableOptions = {},
): { header: string; rows: string[][] } {
  const widths = columnWidths(headers, rows, options)
  const render = (cells: string[]): string[] => {
    const wrapped = cells.map((c, i) =>
      options.wrap?.includes(i) === true ? wrapWords(c, widths[i] ?? c.length) : [c],
    )
    const height = Math.max(...wrapped.map((w) => w.length))
    return Array.from({ length: height }, (_, line) =>
      wrapped
        .map((w, i) => (w[line] ?? '').padEnd(widths[i] ?? 0))
        .join(' '.repeat(GAP))
        .trimEnd(),
    )
  }
  return { header: render(headers).join('\n'), rows: rows.map(render) }
}

export function renderTable(
  headers: string[],
  rows: string[][],
  options: TableOptions = {},
): string {
  const table = layoutTable(headers, rows, options)
  return [table.header, ...table.rows.flat()].join('\n') + '\n'
}
