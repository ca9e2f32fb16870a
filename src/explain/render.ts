// Pure renderers of an explain result: text (wrapped), json, markdown.
import {jsonInert, mdCode, mdInline} from '../core/escape.js'
import {wrapText} from '../reporters/wrap.js'
import type {ExplainMatch, ExplainResult} from './index.js'

function heading(m: ExplainMatch): string {
  return m.code ? `${m.code} · ${m.title} (${m.check} check)` : `${m.title}`
}

export function renderExplainText(r: ExplainResult, opts: {width: number; entryOnly?: boolean}): string {
  const out: string[] = []
  if (!opts.entryOnly) {
    out.push(
      r.matches.length === 0
        ? 'db-doctor explain: no known PostgreSQL connection error found in the text.'
        : `db-doctor explain: ${r.matches.length} known error${r.matches.length === 1 ? '' : 's'} found.`,
    )
  }
  for (const m of r.matches) {
    out.push('', `✗ ${heading(m)}`)
    if (m.excerpt)
      out.push(`  Found (line ${m.line}${m.occurrences > 1 ? `, ${m.occurrences} lines` : ''}): ${m.excerpt}`)
    out.push(`  Meaning: ${m.meaning}`)
    if (m.candidates?.length) out.push(`  Codes it can hide: ${m.candidates.join(', ')}`)
    out.push('  Likely causes:')
    m.causes.forEach((c, i) => out.push(`    ${i + 1}. ${c}`))
    out.push(`  Fix: ${m.fix}`)
    if (m.transient !== null) out.push(`  Waiting can fix it: ${m.transient ? 'yes (transient)' : 'no'}`)
    out.push(`  Confirm: ${m.confirm}`)
  }
  if (r.matches.length === 0 && !opts.entryOnly) {
    out.push('', 'Run `db-doctor check` where the app runs to diagnose the connection itself.')
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
    out.push(
      `## db-doctor explain: ${r.matches.length === 0 ? 'no known error found' : `${r.matches.length} known error${r.matches.length === 1 ? '' : 's'}`}`,
    )
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
