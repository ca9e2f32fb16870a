// Markdown: the same report, ready to paste into a ticket or a CI step summary.
import type {Report} from '../core/types.js'
import {redactReport} from '../core/redact.js'
import {mdCell as cell, mdCode, mdFence, mdInline} from '../core/escape.js'
import {SYMBOL, countsLine, layoutEvidence, problems, targetLine} from './shared.js'

export function renderMarkdown(report: Report, opts: {verbose?: boolean} = {}): string {
  report = redactReport(report) // masked by structure: string values only, never keys or markup
  const out: string[] = []
  const s = report.summary
  out.push(`## db-doctor: ${s.verdict}`, '')
  out.push(`Target: ${mdCode(targetLine(report.target))} · ${mdInline(report.tool)}`, '')
  const sources = Object.entries(report.target.sources)
  if (sources.length > 0) {
    out.push('<details><summary>Where each setting came from</summary>', '', '| setting | source |', '| --- | --- |')
    for (const [k, v] of sources) out.push(`| ${cell(k)} | ${cell(v)} |`)
    out.push('', '</details>', '')
  }
  out.push('| | check | code | result | ms |', '| --- | --- | --- | --- | ---: |')
  for (const c of report.checks) {
    out.push(
      `| ${SYMBOL[c.status]} | ${cell(`\`${c.id}\``)} | ${c.code ? cell(`\`${c.code}\``) : ''} | ${cell(c.summary)} | ${c.durationMs} |`,
    )
  }
  out.push('', `**${countsLine(s)}**`, '')
  const detailed = opts.verbose ? report.checks.filter((c) => c.status !== 'skip') : problems(report.checks)
  for (const c of detailed) {
    out.push(
      `### ${SYMBOL[c.status]} ${mdInline(c.title)}${c.code ? ` — ${mdCode(c.code)}` : ''}`,
      '',
      mdInline(c.summary),
      '',
    )
    const layout = layoutEvidence(c.evidence)
    if (layout.pairs.length > 0 || layout.tables.length > 0) {
      out.push('**Evidence**', '')
      for (const [k, v] of layout.pairs) out.push(`- ${mdInline(k)}: ${mdCode(v)}`)
      if (layout.pairs.length > 0) out.push('')
      for (const t of layout.tables) {
        if (t.title) out.push(`_${mdInline(t.title)}_`, '')
        out.push(`| ${t.columns.map(cell).join(' | ')} |`, `| ${t.columns.map(() => '---').join(' | ')} |`)
        for (const r of t.rows) out.push(`| ${r.map(cell).join(' | ')} |`)
        out.push('')
      }
    }
    if (c.fix) {
      out.push(`**Fix:** ${mdInline(c.fix.summary)}`, '')
      c.fix.steps.forEach((step, i) => out.push(`${i + 1}. ${mdInline(step)}`))
      if (c.fix.steps.length > 0) out.push('')
      if (c.fix.snippet) out.push(mdFence(c.fix.snippet.code, c.fix.snippet.language), '')
    }
  }
  return out.join('\n')
}
