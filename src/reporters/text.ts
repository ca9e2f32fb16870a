// Plain-text report for a terminal: a ✓ ! ✗ – summary line per check, then for
// each warning and failure the diagnosis, the evidence that proves it and the
// fix as copy-pasteable steps. Colours only when asked for (TTY without NO_COLOR).
import Table from 'cli-table3'
import type {CheckResult, Report, Status} from '../core/types.js'
import {redactor} from '../core/redact.js'
import {inertBlock, inertLine} from './escape.js'
import {wrapParagraph} from './wrap.js'
import {SYMBOL, layoutEvidence, problems, targetLine} from './shared.js'

export interface TextOptions {
  color: boolean
  verbose?: boolean
  /** Width to fit tables in; wider tables are printed one record per block. Default 120. */
  width?: number
}

const CODES: Record<string, [number, number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  gray: [90, 39],
  bold: [1, 22],
}

function painter(enabled: boolean) {
  return (style: keyof typeof CODES, text: string) =>
    enabled ? `\u001B[${CODES[style][0]}m${text}\u001B[${CODES[style][1]}m` : text
}

const STATUS_STYLE: Record<Status, keyof typeof CODES> = {pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray'}

function statusLine(c: CheckResult, color: boolean, width = 160): string {
  const paint = painter(color)
  const code = c.code ? ` ${c.code}` : ''
  return `${paint(STATUS_STYLE[c.status], SYMBOL[c.status])} ${inertLine(c.title)}${paint('bold', inertLine(code))} ${paint('gray', `(${c.durationMs} ms)`)}\n${wrapParagraph(inertLine(c.summary), width, '    ')}`
}

export function renderText(report: Report, opts: TextOptions): string {
  const paint = painter(opts.color)
  const out: string[] = []
  out.push(`${paint('bold', 'db-doctor')} ${inertLine(targetLine(report.target))}`)
  if (opts.verbose) {
    for (const [k, v] of Object.entries(report.target.sources)) out.push(`  ${inertLine(k)} ← ${inertLine(v)}`)
  }
  out.push('')
  // prose is wrapped to the width (a terminal's, 160 when not a terminal); tables fit it; snippets are never wrapped
  const width = opts.width ?? 120
  for (const c of report.checks) out.push(statusLine(c, opts.color, width))
  const s = report.summary
  const verdictStyle = s.verdict === 'healthy' ? 'green' : s.verdict === 'degraded' ? 'yellow' : 'red'
  out.push('', `${s.pass} passed, ${s.warn} warnings, ${s.fail} failed, ${s.skip} skipped: ${paint(verdictStyle, s.verdict)}`)

  const detailed = opts.verbose ? report.checks.filter((c) => c.status !== 'skip') : problems(report.checks)
  for (const c of detailed) {
    out.push('', paint(STATUS_STYLE[c.status], inertLine(`${SYMBOL[c.status]} ${c.id}${c.code ? ` · ${c.code}` : ''}`)), wrapParagraph(inertLine(c.summary), width, '  '))
    const layout = inertLayout(layoutEvidence(c.evidence))
    if (layout.pairs.length > 0 || layout.tables.length > 0) {
      out.push('', `  ${paint('bold', 'Evidence')}`)
      const keyWidth = Math.max(...layout.pairs.map(([k]) => k.length), 0)
      for (const [k, v] of layout.pairs) out.push(wrapParagraph(v, width, `    ${k.padEnd(keyWidth)}  `, ' '.repeat(keyWidth + 6)))
      for (const t of layout.tables) {
        if (t.title) out.push(`    ${t.title}:`)
        out.push(indent(renderTable(t, opts), 4))
      }
    }
    if (c.fix) {
      out.push('', wrapParagraph(inertLine(c.fix.summary), width, `  ${paint('bold', 'Fix')}: `, '    '))
      c.fix.steps.forEach((step, i) => out.push(wrapParagraph(inertLine(step), width, `    ${i + 1}. `, ' '.repeat(`    ${i + 1}. `.length))))
      if (c.fix.snippet) {
        out.push('', `    ${paint('gray', `# ${inertLine(c.fix.snippet.language)}`)}`, indent(inertBlock(c.fix.snippet.code), 4))
      }
    }
  }
  return redactor.redact(out.join('\n'))
}

/** A table when it fits the width, else one block per row (long values stay readable). */
function renderTable(t: {columns: string[]; rows: string[][]}, opts: TextOptions): string {
  const width = (opts.width ?? 120) - 4
  const table = new Table({head: t.columns, style: {head: opts.color ? ['cyan'] : [], border: opts.color ? ['gray'] : []}})
  for (const r of t.rows) table.push(r)
  const text = table.toString()
  // eslint-disable-next-line no-control-regex
  const visible = (line: string) => line.replace(/\u001B\[[0-9;]*m/g, '').length
  if (Math.max(...text.split('\n').map(visible)) <= width) return text
  const keyWidth = Math.max(...t.columns.map((c) => c.length))
  return t.rows
    .map((r, i) => [`[${i}]`, ...t.columns.map((c, j) => (r[j] && r[j] !== '—' ? `  ${c.padEnd(keyWidth)}  ${r[j]}` : '')).filter(Boolean)].join('\n'))
    .join('\n')
}

/** Evidence laid out with every key, value and cell made inert (network text is shown, never acted on). */
function inertLayout(layout: ReturnType<typeof layoutEvidence>): ReturnType<typeof layoutEvidence> {
  return {
    pairs: layout.pairs.map(([k, v]) => [inertLine(k), inertLine(v)]),
    tables: layout.tables.map((t) => ({title: inertLine(t.title), columns: t.columns.map(inertLine), rows: t.rows.map((r) => r.map(inertLine))})),
  }
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}
