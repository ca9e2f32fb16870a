// Many targets in one run: every target is diagnosed with diagnose() (its own facts, its
// own report), at most `concurrency` at a time, and the reports are put together in one
// FleetReport. Configuration loading runs app code that touches process-wide state
// (process.env, cwd): diagnose() serialises that part, the network checks run in parallel.
import {diagnose, type DiagnoseInput} from './diagnose.js'
import type {FleetReport, NamedReport, Report, Verdict} from './types.js'

export interface FleetTarget {
  /** The name shown in every format (never a secret). Defaults to user@host:port/db. */
  name?: string
  /** A URL or key=value string; undefined = what the app in cwd reads. */
  connection?: string
  /** A knexfile environment (--all-envs). */
  knexEnv?: string
}

export interface FleetInput extends Omit<DiagnoseInput, 'connection' | 'hooks'> {
  targets: readonly FleetTarget[]
  /** How many targets are checked at the same time. Default 8. */
  concurrency?: number
  /** Called as each target's report is ready (progress). */
  onReport?(report: NamedReport, index: number): void
}

export async function diagnoseMany(input: FleetInput): Promise<FleetReport> {
  const {targets, concurrency = 8, onReport, ...base} = input
  const reports: NamedReport[] = new Array(targets.length)
  let next = 0
  const worker = async () => {
    while (next < targets.length) {
      const i = next++
      const t = targets[i]
      const report = await diagnose({
        ...base,
        connection: t.connection,
        options: t.knexEnv ? {...base.options, knexEnv: t.knexEnv} : base.options,
      })
      reports[i] = {name: t.name ?? '', ...report}
      onReport?.(reports[i], i)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(concurrency, targets.length))}, worker))
  nameReports(reports)
  return {version: 1, tool: input.tool, reports, summary: summarizeFleet(reports, base.strict)}
}

/** Unnamed targets get user@host:port/db; duplicates get #2, #3… */
function nameReports(reports: NamedReport[]): void {
  const seen = new Map<string, number>()
  for (const r of reports) {
    if (!r.name) {
      const t = r.target
      r.name = `${t.user ? `${t.user}@` : ''}${t.host ?? '?'}${t.port ? `:${t.port}` : ''}${t.database ? `/${t.database}` : ''}`
    }
    const n = (seen.get(r.name) ?? 0) + 1
    seen.set(r.name, n)
    if (n > 1) r.name = `${r.name} #${n}`
  }
}

export function summarizeFleet(reports: readonly Report[], strict = false): FleetReport['summary'] {
  const count = (v: Verdict) => reports.filter((r) => r.summary.verdict === v).length
  const healthy = count('healthy')
  const degraded = count('degraded')
  const failing = count('failing')
  const verdict: Verdict = failing > 0 || (strict && degraded > 0) ? 'failing' : degraded > 0 ? 'degraded' : 'healthy'
  return {targets: reports.length, healthy, degraded, failing, verdict}
}
