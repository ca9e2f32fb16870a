// A run's report in text, Markdown and JSON, whether it covers one target (the single-target
// report, exactly as it was) or several (a section per target, then one overall line).
import type {FleetReport, RunReport} from '../core/types.js'
import {isFleet} from '../core/types.js'
import {redactReport} from '../core/redact.js'
import {inertLine, jsonInert, mdCell, mdInline} from '../core/escape.js'
import {renderMarkdown} from './markdown.js'
import {renderText, type TextOptions} from './text.js'

function fleetLine(s: FleetReport['summary']): string {
  return `${s.targets} target${s.targets === 1 ? '' : 's'}: ${s.healthy} healthy, ${s.degraded} degraded, ${s.failing} failing: ${s.verdict}`
}

export function renderTextRun(doc: RunReport, opts: TextOptions): string {
  doc = redactReport(doc) // masked by structure: string values only, never keys or markup
  if (!isFleet(doc)) return renderText(doc, opts)
  const rule = (name: string) =>
    `━━ ${name} ${'━'.repeat(Math.max(3, Math.min(opts.width ?? 120, 100) - name.length - 4))}`
  const sections = doc.reports.map((r) => `${rule(inertLine(r.name))}\n${renderText(r, opts)}`)
  return [sections.join('\n\n'), '', fleetLine(doc.summary)].join('\n')
}

export function renderMarkdownRun(doc: RunReport, opts: {verbose?: boolean} = {}): string {
  doc = redactReport(doc) // masked by structure: string values only, never keys or markup
  if (!isFleet(doc)) return renderMarkdown(doc, opts)
  const s = doc.summary
  const cell = mdCell
  const out = [
    `# db-doctor: ${s.verdict}`,
    '',
    `**${fleetLine(s)}** · ${mdInline(doc.tool)}`,
    '',
    '| target | verdict | problems |',
    '| --- | --- | --- |',
  ]
  for (const r of doc.reports) {
    const codes = r.checks.filter((c) => c.code).map((c) => `\`${c.code}\``)
    out.push(`| ${cell(r.name)} | ${r.summary.verdict} | ${codes.join(' ')} |`)
  }
  for (const r of doc.reports) {
    // Each target's own report as it is (its own "## db-doctor: verdict" heading), named first.
    out.push('', '---', '', `**Target ${cell(r.name)}**`, '', renderMarkdown(r, opts))
  }
  return out.join('\n')
}

export function renderJsonRun(doc: RunReport): string {
  doc = redactReport(doc) // masked by structure: string values only, never keys or markup
  return jsonInert(JSON.stringify(doc, null, 2))
}

/** JSON lines for a log pipeline: one compact line per target (with its name when it has one). */
export function renderJsonLines(doc: RunReport): string {
  doc = redactReport(doc) // masked by structure: string values only, never keys or markup
  const reports = isFleet(doc) ? doc.reports : [doc]
  return reports.map((r) => jsonInert(JSON.stringify(r))).join('\n')
}
