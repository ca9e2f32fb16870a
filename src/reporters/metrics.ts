// docs/prometheus.md's metric tables, generated from the metric list of src/catalogue/metrics.ts (npm run docs;
// test/serve/docs.test.ts checks them).
import {type MetricDef, PROBE_METRICS, SERVE_METRICS} from '../catalogue/metrics.js'

const BEGIN = '<!-- metrics:begin (generated from src/catalogue/metrics.ts) -->'
const END = '<!-- metrics:end -->'

function table(defs: readonly MetricDef[]): string {
  const rows = defs.map((m) => {
    const sample = m.type === 'counter' ? `${m.name}_total` : m.name
    const labels = m.labels.length ? m.labels.map((l) => `\`${l}\``).join(', ') : '—'
    return `| \`${sample}\` | ${m.type} | ${labels} | ${m.help.replace(/\|/g, '\\|')} |`
  })
  return ['| Metric | Type | Labels | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** docs/prometheus.md with its metric tables regenerated between the markers. */
export function renderMetricsDocs(text: string): string {
  const start = text.indexOf(BEGIN)
  const end = text.indexOf(END)
  if (start < 0 || end < start) throw new Error('docs/prometheus.md: metrics markers missing')
  const body = [
    BEGIN,
    '',
    'Per probe (`/probe`, `check --format openmetrics`; a multi-target `check` adds a `target` label):',
    '',
    table(PROBE_METRICS),
    '',
    "The prober's own (`/metrics`):",
    '',
    table(SERVE_METRICS),
    '',
  ].join('\n')
  return text.slice(0, start) + body + text.slice(end)
}
