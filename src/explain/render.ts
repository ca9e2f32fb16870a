// Pure renderers of an explain result: text (wrapped), json, markdown.
import {jsonInert, mdCode, mdInline} from '../core/escape.js'
import {wrapText} from '../reporters/wrap.js'
import type {ExplainMatch, ExplainResult} from './index.js'
import {explainSays} from '../catalogue/explain.js'

function heading(m: ExplainMatch): string {
  return m.code ? `${m.code} · ${m.title} (${m.check} check)` : `${m.title}`
}

export function renderExplainText(r: ExplainResult, opts: {width: number; entryOnly?: boolean}): string {
  const out: string[] = []
  if (!opts.entryOnly) {
    out.push(explainSays.headline({count: r.matches.length}))
  }
  for (const m of r.matches) {
    out.push('', `✗ ${heading(m)}`)
    if (m.excerpt)
      out.push(`  Found (line ${m.line}${m.occurrences > 1 ? `, ${m.occurrences} lines` : ''}): ${m.excerpt}`)
    out.push(`  Meaning: ${m.meaning}`)
    if (m.candidates?.length) out.push(`  ${explainSays.codesItCanHide({codes: m.candidates.join(', ')})}`)
    out.push('  Likely causes:')
    m.causes.forEach((c, i) => out.push(`    ${i + 1}. ${c}`))
    out.push(`  Fix: ${m.fix}`)
    if (m.transient !== null) out.push(`  ${explainSays.transient({transient: m.transient})}`)
    out.push(`  Confirm: ${m.confirm}`)
  }
  if (r.matches.length === 0 && !opts.entryOnly) {
    out.push('', explainSays.runCheck())
  }
  return wrapText(out.join('\n'), opts.width)
}

export function renderExplainJson(r: ExplainResult): string {
  return jsonInert(JSON.stringify(r, null, 2))
}

const md = (text: string) => mdInline(text)

export function renderExplainMarkdown(r: ExplainResult, opts: {entryOnly?: boolean} = {}): string {
  const out: string[] = []
  if (!opts.entryOnly) {
    out.push(explainSays.heading({count: r.matches.length}))
  }
  for (const m of r.matches) {
    out.push('', `### ${m.code ? `\`${m.code}\` — ` : ''}${md(m.title)}${m.check ? ` (${m.check} check)` : ''}`, '')
    if (m.excerpt) out.push(`Found on line ${m.line}: ${mdCode(m.excerpt)}`, '')
    out.push(`**Meaning:** ${md(m.meaning)}`, '')
    if (m.candidates?.length) out.push(`**Codes it can hide:** ${m.candidates.map((c) => `\`${c}\``).join(', ')}`, '')
    out.push('**Likely causes:**', '')
    m.causes.forEach((c, i) => out.push(`${i + 1}. ${md(c)}`))
    out.push('', `**Fix:** ${md(m.fix)}`, '', '**Confirm:**', '', '```bash', m.confirm, '```')
  }
  return out.join('\n')
}
