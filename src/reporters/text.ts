// Plain-text report for a terminal: a ✓ ! ✗ – summary line per check, then for
// each warning and failure the diagnosis, the evidence that proves it and the
// fix as copy-pasteable steps. Colours only when asked for (TTY without NO_COLOR).
import Table from 'cli-table3'
import type {CheckResult, Report, Status} from '../core/types.js'
import {redactReport} from '../core/redact.js'
import {inertBlock, inertLine} from '../core/escape.js'
import {wrapParagraph} from './wrap.js'
import {SYMBOL, countsLine, layoutEvidence, problems, targetLine} from './shared.js'

export interface TextOptions {
  color: boolean
  verbose?: boolean
  /** Width to wrap prose and fit tables in (wider tables have their columns narrowed). Default 120. */
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
  const head = `${paint(STATUS_STYLE[c.status], SYMBOL[c.status])} ${inertLine(c.title)}${paint('bold', inertLine(code))} ${paint('gray', `(${c.durationMs} ms)`)}`
  return `${wrapParagraph(head, width, '', '  ')}\n${wrapParagraph(inertLine(c.summary), width, '    ')}`
}

export function renderText(report: Report, opts: TextOptions): string {
  report = redactReport(report) // masked by structure: string values only, never keys or markup
  const paint = painter(opts.color)
  const out: string[] = []
  out.push(`${paint('bold', 'db-doctor')} ${inertLine(targetLine(report.target))}`)
  if (opts.verbose) {
    for (const [k, v] of Object.entries(report.target.sources))
      out.push(wrapParagraph(`${inertLine(k)} ← ${inertLine(v)}`, opts.width ?? 120, '  ', '    '))
  }
  out.push('')
  // prose is wrapped to the width (a terminal's, 160 when not a terminal); tables fit it; snippets are never wrapped
  const width = opts.width ?? 120
  if (report.modelled) out.splice(1, 0, wrapParagraph(inertLine(`modelled: ${report.modelled.text}`), width, ''))
  for (const c of report.checks) out.push(statusLine(c, opts.color, width))
  const s = report.summary
  const verdictStyle = s.verdict === 'healthy' ? 'green' : s.verdict === 'degraded' ? 'yellow' : 'red'
  out.push('', `${countsLine(s)}: ${paint(verdictStyle, s.verdict)}`)

  const detailed = opts.verbose ? report.checks.filter((c) => c.status !== 'skip') : problems(report.checks)
  for (const c of detailed) {
    out.push(
      '',
      paint(STATUS_STYLE[c.status], inertLine(`${SYMBOL[c.status]} ${c.id}${c.code ? ` · ${c.code}` : ''}`)),
      wrapParagraph(inertLine(c.summary), width, '  '),
    )
    const layout = inertLayout(layoutEvidence(c.evidence))
    if (layout.pairs.length > 0 || layout.tables.length > 0) {
      out.push('', `  ${paint('bold', 'Evidence')}`)
      const keyWidth = Math.max(...layout.pairs.map(([k]) => k.length), 0)
      for (const [k, v] of layout.pairs)
        out.push(wrapParagraph(v, width, `    ${k.padEnd(keyWidth)}  `, ' '.repeat(keyWidth + 6)))
      for (const t of layout.tables) {
        if (t.title) out.push(`    ${t.title}:`)
        out.push(indent(renderTable(t, opts), 4))
      }
    }
    if (c.fix) {
      out.push('', wrapParagraph(inertLine(c.fix.summary), width, `  ${paint('bold', 'Fix')}: `, '    '))
      c.fix.steps.forEach((step, i) =>
        out.push(wrapParagraph(inertLine(step), width, `    ${i + 1}. `, ' '.repeat(`    ${i + 1}. `.length))),
      )
      if (c.fix.snippet) {
        out.push(
          '',
          `    ${paint('gray', `# ${inertLine(c.fix.snippet.language)}`)}`,
          indent(inertBlock(c.fix.snippet.code), 4),
        )
      }
    }
  }
  return out.join('\n')
}

/**
 * A table that fits the width: when the natural table is wider, the widest columns are narrowed
 * (water-filling) and their cells wrapped — at spaces, and inside a word only when the word alone is
 * wider than its column (a URL, a path), so nothing is cut off. Only when even narrow columns cannot
 * fit (many columns on a very narrow screen) is each row printed as a block of `column  value` lines.
 */
function renderTable(t: {columns: string[]; rows: string[][]}, opts: TextOptions): string {
  const width = (opts.width ?? 120) - 4
  const style = {head: opts.color ? ['cyan'] : [], border: opts.color ? ['gray'] : []}
  const natural = t.columns.map((c, j) =>
    Math.max(visibleWidth(c), ...t.rows.map((r) => Math.max(...(r[j] ?? '').split('\n').map(visibleWidth)))),
  )
  // borders: one per column plus one; padding: one space each side of a cell
  const chrome = t.columns.length + 1 + 2 * t.columns.length
  const available = width - chrome
  const widths = fitColumns(natural, available)
  if (!widths) return recordBlocks(t, width)
  const table = new Table({head: t.columns.map((c, j) => wrapCell(c, widths[j]!)), style})
  for (const r of t.rows) table.push(t.columns.map((_, j) => wrapCell(r[j] ?? '', widths[j]!)))
  return table.toString()
}

const MIN_COLUMN = 5

/** Column widths summing to at most `available`: natural widths, the widest capped first. Null when impossible. */
function fitColumns(natural: number[], available: number): number[] | null {
  const total = natural.reduce((a, b) => a + b, 0)
  if (total <= available) return natural
  if (natural.length * MIN_COLUMN > available) return null
  // the largest cap c with sum(min(natural, c)) <= available
  let lo = MIN_COLUMN
  let hi = Math.max(...natural)
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    const sum = natural.reduce((a, n) => a + Math.min(n, mid), 0)
    if (sum <= available) lo = mid
    else hi = mid - 1
  }
  return natural.map((n) => Math.min(n, lo))
}

/** A cell's text wrapped to `width` columns (existing line breaks kept). */
function wrapCell(text: string, width: number): string {
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(/ +/)) {
      let rest = word
      // a word wider than the column is split (never cut off)
      while ([...rest].length > width) {
        if (line) lines.push(line)
        line = ''
        const chars = [...rest]
        lines.push(chars.slice(0, width).join(''))
        rest = chars.slice(width).join('')
      }
      if (!line) line = rest
      else if ([...line].length + 1 + [...rest].length <= width) line = `${line} ${rest}`
      else {
        lines.push(line)
        line = rest
      }
    }
    lines.push(line)
  }
  return lines.join('\n')
}

function visibleWidth(line: string): number {
  // eslint-disable-next-line no-control-regex
  return [...line.replace(/\u001B\[[0-9;]*m/g, '')].length
}

/** Each row as a block of `column  value` lines (tables that cannot fit even narrowed). */
function recordBlocks(t: {columns: string[]; rows: string[][]}, width: number): string {
  const keyWidth = Math.max(...t.columns.map((c) => c.length))
  const hang = ' '.repeat(keyWidth + 4)
  return t.rows
    .map((r, i) =>
      [
        `[${i}]`,
        ...t.columns
          .map((c, j) => (r[j] && r[j] !== '—' ? wrapParagraph(r[j], width, `  ${c.padEnd(keyWidth)}  `, hang) : ''))
          .filter(Boolean),
      ].join('\n'),
    )
    .join('\n')
}

/** Evidence laid out with every key, value and cell made inert (network text is shown, never acted on). */
function inertLayout(layout: ReturnType<typeof layoutEvidence>): ReturnType<typeof layoutEvidence> {
  return {
    pairs: layout.pairs.map(([k, v]) => [inertLine(k), inertLine(v)]),
    tables: layout.tables.map((t) => ({
      title: inertLine(t.title),
      columns: t.columns.map(inertLine),
      rows: t.rows.map((r) => r.map(inertLine)),
    })),
  }
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}
