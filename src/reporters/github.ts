// GitHub Actions: the text report for the log, then one workflow command per warning and
// failure (`::error title=CODE::summary … Fix: …`), which GitHub shows as annotations on the
// run. No line of the text report can issue a workflow command (core/escape.ts actionsInert: `::` at
// any indentation, `##[` anywhere), and it also sits between `::stop-commands::TOKEN` and `::TOKEN::`. The Markdown report for
// $GITHUB_STEP_SUMMARY is written by the command (I/O), not here.
import {createHash} from 'node:crypto'
import type {CheckResult, Report, RunReport} from '../core/types.js'
import {isFleet} from '../core/types.js'
import {redactReport} from '../core/redact.js'
import {actionsInert, inertLine} from '../core/escape.js'
import {renderTextRun} from './run.js'
import {findingsLine} from './shared.js'

interface GithubOptions {
  strict?: boolean
  verbose?: boolean
  width?: number
}

/** Escaping of a command's message, as @actions/core does it. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** Escaping of a command property (title=…), as @actions/core does it. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

function command(c: CheckResult, target: string | undefined, strict: boolean): string {
  const level = c.status === 'fail' || strict ? 'error' : 'warning'
  const lines = [`${target ? `[${target}] ` : ''}${c.summary}`]
  const all = findingsLine(c)
  if (all) lines.push(all)
  if (c.fix) {
    lines.push(`Fix: ${c.fix.summary}`)
    c.fix.steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`))
    if (c.fix.snippet) lines.push(c.fix.snippet.code)
  }
  const title = `${c.code ?? 'FAIL'}${target ? ` (${target})` : ''}`
  // Network text stays inert (controls shown as escapes); the line breaks are ours.
  const message = lines.map((l) => l.split('\n').map(inertLine).join('\n')).join('\n')
  // `##[` is honoured anywhere in a line, so the title and the message are neutralised too
  return `::${level} title=${actionsInert(escapeProperty(inertLine(title)))}::${actionsInert(escapeData(message))}`
}

export function renderGithub(doc: RunReport, opts: GithubOptions = {}): string {
  doc = redactReport(doc) // masked by structure: string values only, never keys or markup
  const reports: (Report & {name?: string})[] = isFleet(doc) ? doc.reports : [doc]
  const textOpts = {color: false, verbose: opts.verbose, width: opts.width ?? 160}
  // no line of the report (wrapped, indented) can start a workflow command, or hold a `##[` one
  const text = actionsInert(renderTextRun(doc, textOpts))
  // Unguessable by whoever wrote text into the report, and the same for the same report.
  const token = createHash('sha256').update(text).digest('hex').slice(0, 32)
  const out = [`::stop-commands::${token}`, text, `::${token}::`]
  for (const r of reports) {
    const name = r.name
    for (const c of r.checks)
      if (c.status === 'fail' || c.status === 'warn') out.push(command(c, name, Boolean(opts.strict)))
  }
  return out.join('\n')
}
