// The Prometheus text format (0.0.4) and OpenMetrics 1.0 text, written from the metric definitions of
// metrics.ts only: a sample of an unlisted metric or with an unlisted label is a programming error.
// Pure: no I/O, no clock.
import type {MetricDef} from '../catalogue/metrics.js'

export type ExpositionFormat = 'openmetrics' | 'prometheus'

export interface Sample {
  name: string
  labels?: Record<string, string>
  value: number
}

export const CONTENT_TYPE: Record<ExpositionFormat, string> = {
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
}

/** Longest label value written; longer ones are cut (a label is an identifier, never a text). */
const MAX_LABEL_VALUE = 128

/** Control, line-separator and bidi characters: never in a label value. */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** A label value as both formats want it: control characters dropped, \ " and newline escaped, bounded. */
export function labelValue(value: string): string {
  const clean = [...value.replace(INVISIBLE, '')].slice(0, MAX_LABEL_VALUE).join('')
  return clean.replace(/\\/g, '\\\\').replace(/"/g, '\\"')
}

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

function help(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/**
 * The exposition of `samples`, family by family in the order of `defs` (families without a sample are
 * left out). `extraLabels` are label names allowed on every family, first (a fleet's `target`).
 */
export function renderExposition(
  defs: readonly MetricDef[],
  samples: readonly Sample[],
  format: ExpositionFormat,
  extraLabels: readonly string[] = [],
): string {
  const byName = new Map<string, Sample[]>()
  const known = new Map(defs.map((d) => [d.name, d]))
  for (const s of samples) {
    const def = known.get(s.name)
    if (!def) throw new Error(`exposition: ${s.name} is not a defined metric`)
    for (const l of Object.keys(s.labels ?? {}))
      if (!def.labels.includes(l) && !extraLabels.includes(l))
        throw new Error(`exposition: ${s.name} has no label ${l}`)
    const list = byName.get(s.name) ?? []
    list.push(s)
    byName.set(s.name, list)
  }
  const lines: string[] = []
  for (const def of defs) {
    const list = byName.get(def.name)
    if (!list) continue
    // OpenMetrics names a counter family without its _total suffix; the 0.0.4 text format names the sample
    const family = format === 'prometheus' && def.type === 'counter' ? `${def.name}_total` : def.name
    lines.push(`# HELP ${family} ${help(def.help)}`, `# TYPE ${family} ${def.type}`)
    const seen = new Set<string>()
    for (const s of list) {
      const names = [...extraLabels, ...def.labels]
      const pairs = names
        .filter((l) => s.labels?.[l] !== undefined)
        .map((l) => `${l}="${labelValue(s.labels![l]!)}"`)
        .join(',')
      const key = pairs
      if (seen.has(key)) continue // one series once (the first wins)
      seen.add(key)
      const sample = def.type === 'counter' ? `${def.name}_total` : def.name
      lines.push(`${sample}${pairs ? `{${pairs}}` : ''} ${number(s.value)}`)
    }
  }
  if (format === 'openmetrics') lines.push('# EOF')
  return lines.join('\n') + '\n'
}
