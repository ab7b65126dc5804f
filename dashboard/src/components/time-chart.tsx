/**
 * A time-series chart (uPlot on a canvas) with the rollout's decision points drawn as vertical
 * lines and each release's start as a labelled boundary ("r3 released"). Hovering near a decision
 * shows its verdict and explanation; the same decisions are listed as text beside the charts for
 * keyboard and screen-reader users. Lines differ by dash as well as color, and each names its revision.
 */
import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { clock, verdictWords } from '../format.js'

export interface ChartSeries {
  label: string
  color: string
  dash?: number[]
  values: (number | null)[]
}

export interface Decision {
  /** Seconds since the epoch. */
  at: number
  reason: string
  explanation: string
  /** The sequential judge's evidence at that moment, when there was one. */
  evidence?: string
}

/** Where a release began: drawn as a dotted line with its label. */
export interface Boundary {
  /** Seconds since the epoch. */
  at: number
  label: string
}

export interface TimeChartProps {
  id: string
  title: string
  unit: string
  /** Seconds since the epoch, one per point. */
  times: number[]
  series: ChartSeries[]
  decisions: Decision[]
  boundaries: Boundary[]
  highlighted?: number | undefined
  yMax?: number
  /** The latest value in words, shown beside the title and kept in data-latest for tests. */
  latest: string
}

const MARK_STYLE: Record<string, { color: string; dash: number[] }> = {
  good: { color: '#1f77b4', dash: [] },
  bad: { color: '#d55e00', dash: [6, 4] },
  warn: { color: '#7f7f7f', dash: [2, 3] },
  neutral: { color: '#7f7f7f', dash: [2, 3] },
}

const BOUNDARY_COLOR = '#555555'

function drawBoundaries(u: uPlot, boundaries: Boundary[]): void {
  const { ctx, bbox } = u
  for (const b of boundaries) {
    const x = Math.round(u.valToPos(b.at, 'x', true))
    if (x < bbox.left || x > bbox.left + bbox.width) continue
    ctx.save()
    ctx.strokeStyle = BOUNDARY_COLOR
    ctx.lineWidth = devicePixelRatio
    ctx.setLineDash([1, 3].map((n) => n * devicePixelRatio))
    ctx.beginPath()
    ctx.moveTo(x, bbox.top)
    ctx.lineTo(x, bbox.top + bbox.height)
    ctx.stroke()
    ctx.fillStyle = BOUNDARY_COLOR
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`
    ctx.fillText(b.label, x + 3 * devicePixelRatio, bbox.top + bbox.height - 4 * devicePixelRatio)
    ctx.restore()
  }
}

function markersPlugin(
  get: () => { decisions: Decision[]; boundaries: Boundary[]; highlighted: number | undefined },
  tip: HTMLDivElement,
) {
  return {
    hooks: {
      draw: [
        (u: uPlot) => {
          const { decisions, boundaries, highlighted } = get()
          drawBoundaries(u, boundaries)
          const { ctx, bbox } = u
          for (const d of decisions) {
            const x = Math.round(u.valToPos(d.at, 'x', true))
            if (x < bbox.left || x > bbox.left + bbox.width) continue
            const v = verdictWords(d.reason)
            const style = MARK_STYLE[v.tone] ?? { color: '#7f7f7f', dash: [2, 3] }
            ctx.save()
            ctx.strokeStyle = style.color
            ctx.lineWidth = (highlighted === d.at ? 3 : 1.5) * devicePixelRatio
            ctx.setLineDash(style.dash.map((n) => n * devicePixelRatio))
            ctx.beginPath()
            ctx.moveTo(x, bbox.top)
            ctx.lineTo(x, bbox.top + bbox.height)
            ctx.stroke()
            ctx.fillStyle = style.color
            ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`
            ctx.fillText(v.glyph, x + 3 * devicePixelRatio, bbox.top + 12 * devicePixelRatio)
            ctx.restore()
          }
        },
      ],
      setCursor: [
        (u: uPlot) => {
          const left = u.cursor.left ?? -1
          const near =
            left < 0
              ? undefined
              : get().decisions.find((d) => Math.abs(u.valToPos(d.at, 'x') - left) <= 6)
          if (near === undefined) {
            tip.hidden = true
            return
          }
          const v = verdictWords(near.reason)
          tip.textContent = `${v.glyph} ${v.words}: ${near.explanation}${near.evidence === undefined ? '' : ` — ${near.evidence}`}`
          tip.hidden = false
          tip.style.left = `${Math.min(left, u.bbox.width / devicePixelRatio - 220)}px`
        },
      ],
    },
  }
}

export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const tipRef = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const latestProps = useRef(props)
  latestProps.current = props

  // Created once per set of series; data updates go through setData below.
  const shape = props.series.map((s) => s.label).join('|')
  useEffect(() => {
    const el = box.current
    const tip = tipRef.current
    if (el === null || tip === null) return
    const p = latestProps.current
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 180,
      legend: { show: true, live: false },
      cursor: { y: false, points: { show: false } },
      scales: {
        x: { time: true },
        y: { range: (_u, min, max) => [Math.min(0, min), Math.max(p.yMax ?? 1, max)] },
      },
      axes: [
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          space: 70,
          values: '{HH}:{mm}:{ss}',
        },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          size: 56,
          values: (_u, ticks) => ticks.map((t) => `${t}${p.unit}`),
        },
      ],
      series: [
        {},
        ...p.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.dash === undefined ? {} : { dash: s.dash }),
          spanGaps: false,
          points: { show: false },
        })),
      ],
      plugins: [
        markersPlugin(
          () => ({
            decisions: latestProps.current.decisions,
            boundaries: latestProps.current.boundaries,
            highlighted: latestProps.current.highlighted,
          }),
          tip,
        ),
      ],
    }
    const u = new uPlot(opts, [p.times, ...p.series.map((s) => s.values)] as uPlot.AlignedData, el)
    plot.current = u
    const resize = new ResizeObserver(() => {
      u.setSize({ width: Math.max(280, el.clientWidth), height: 180 })
    })
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
      plot.current = null
    }
  }, [shape])

  useEffect(() => {
    plot.current?.setData(
      [props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      true,
    )
  }, [props.times, props.series, props.decisions, props.boundaries, props.highlighted])

  const lines = props.series.map((s) => s.label).join(', ')
  const releases = props.boundaries.map((b) => `${b.label} at ${clock(b.at * 1000)}`).join(', ')
  return (
    <figure
      className="chart"
      id={props.id}
      data-latest={props.latest}
      data-series={lines}
      data-boundaries={props.boundaries.map((b) => b.label).join(', ')}
    >
      <figcaption>
        <span className="chart-title">{props.title}</span>{' '}
        <span className="chart-latest">now: {props.latest}</span>
      </figcaption>
      <div
        className="chart-box"
        ref={box}
        role="img"
        aria-label={`${props.title}; lines: ${lines === '' ? 'none yet' : lines}${releases === '' ? '' : `; ${releases}`}; now ${props.latest}`}
      />
      <div className="chart-tip" ref={tipRef} hidden role="status" />
    </figure>
  )
}
