/** Small formatting helpers for the dashboard's text. */
import type { Phase } from '../../src/engine/status.js'

export function age(fromMs: number, now = Date.now()): string {
  if (fromMs <= 0) return '—'
  const s = Math.max(0, Math.round((now - fromMs) / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86400)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d`
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false })
}

export function percent(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(digits)}%`
}

export function ms(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : `${Math.round(n)} ms`
}

/** The phase as a word and a glyph, so it never rests on color alone. */
export const PHASE_GLYPH: Record<string, string> = {
  Healthy: '✓',
  Progressing: '▶',
  Promoting: '⇡',
  Paused: '‖',
  RolledBack: '✗',
  Initializing: '…',
} satisfies Record<Phase, string>

export const PHASE_WORDS: Record<string, string> = {
  Healthy: 'Healthy',
  Progressing: 'Progressing',
  Promoting: 'Promoting',
  Paused: 'Paused',
  RolledBack: 'Rolled back',
  Initializing: 'Initializing',
} satisfies Record<Phase, string>

/** A verdict's reason in a few words with its glyph. */
export function verdictWords(reason: string): { glyph: string; words: string; tone: string } {
  switch (reason) {
    case 'AnalysisSuccessful':
      return { glyph: '✓', words: 'analysis passed', tone: 'good' }
    case 'AnalysisFailed':
      return { glyph: '✗', words: 'analysis failed', tone: 'bad' }
    case 'AnalysisError':
      return { glyph: '!', words: 'analysis errored', tone: 'bad' }
    case 'AnalysisInconclusive':
      return { glyph: '?', words: 'inconclusive', tone: 'warn' }
    case 'RolledBack':
      return { glyph: '↩', words: 'rolled back', tone: 'bad' }
    case 'Promoted':
      return { glyph: '⇡', words: 'promoted', tone: 'good' }
    default:
      return { glyph: '•', words: reason, tone: 'neutral' }
  }
}
