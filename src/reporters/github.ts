// GitHub Actions: the text report for the log, then one workflow command per warning and
// failure (`::error title=CODE::summary … Fix: …`), which GitHub shows as annotations on the
// run. The text report sits between `::stop-commands::TOKEN` and `::TOKEN::`, so text that
// came from the network cannot issue workflow commands. The Markdown report for
// $GITHUB_STEP_SUMMARY is written by the command (I/O), not here.
import {createHash} from 'node:crypto'
import type {CheckResult, Report, RunReport} from '../core/types.js'
import {isFleet} from '../core/types.js'
import {redactor} from '../core/redact.js'
import {inertLine} from './escape.js'
import {renderTextRun} from './run.js'

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
  if (c.fix) {
    lines.push(`Fix: ${c.fix.summary}`)
    c.fix.steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`))
    if (c.fix.snippet) lines.push(c.fix.snippet.code)
  }
  const title = `${c.code ?? 'FAIL'}${target ? ` (${target})` : ''}`
  // Network text stays inert (controls shown as escapes); the line breaks are ours.
  const message = lines.map((l) => l.split('\n').map(inertLine).join('\n')).join('\n')
  return `::${level} title=${escapeProperty(inertLine(redactor.redact(title)))}::${escapeData(redactor.redact(message))}`
}

export function renderGithub(doc: RunReport, opts: GithubOptions = {}): string {
  const reports: (Report & {name?: string})[] = isFleet(doc) ? doc.reports : [doc]
  const textOpts = {color: false, verbose: opts.verbose, width: opts.width ?? 160}
  const text = renderTextRun(doc, textOpts)
  // Unguessable by whoever wrote text into the report, and the same for the same report.
  const token = createHash('sha256').update(text).digest('hex').slice(0, 32)
  const out = [`::stop-commands::${token}`, text, `::${token}::`]
  for (const r of reports) {
    const name = r.name
    for (const c of r.checks) if (c.status === 'fail' || c.status === 'warn') out.push(command(c, name, Boolean(opts.strict)))
  }
  return redactor.redact(out.join('\n'))
}
