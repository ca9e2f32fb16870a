// Many targets in one run: every target gets its own facts and its own report, and the
// reports are put together in one FleetReport. Resolving a configuration runs app code that
// touches process-wide state (a knexfile load swaps process.env and the working folder, and
// Node reads NODE_TLS_REJECT_UNAUTHORIZED from process.env at every TLS connect), so all
// targets are resolved first, one at a time; then the checks run, `concurrency` targets at
// a time, with no app code running beside them.
import type {ResolvedConfig} from '../config/types.js'
import {diagnoseResolved, resolveTarget, type DiagnoseInput} from '../app/diagnose.js'
import {withPackageJsons} from '../core/files.js'
import {verdictOf} from '../core/runner.js'
import type {FleetReport, NamedReport, Report, Verdict} from '../core/types.js'

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
  // one run reads each package.json once, as one diagnosis does (app/diagnose.ts diagnose()): the targets share
  // the app's folder, and resolveTarget / diagnoseResolved (not diagnose()) read it for every one of them
  return withPackageJsons(() => diagnoseAll(input))
}

async function diagnoseAll(input: FleetInput): Promise<FleetReport> {
  const {targets, concurrency = 8, onReport, ...base} = input
  const reports: NamedReport[] = new Array(targets.length)
  const inputs: DiagnoseInput[] = targets.map((t) => ({
    ...base,
    connection: t.connection,
    options: t.knexEnv ? {...base.options, knexEnv: t.knexEnv} : base.options,
  }))
  const configs: ResolvedConfig[] = []
  for (const input of inputs) configs.push(await resolveTarget(input))
  let next = 0
  const worker = async () => {
    while (next < targets.length) {
      const i = next++
      const report = await diagnoseResolved(inputs[i], configs[i])
      reports[i] = {name: targets[i].name ?? '', ...report}
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

function summarizeFleet(reports: readonly Report[], strict = false): FleetReport['summary'] {
  const count = (v: Verdict) => reports.filter((r) => r.summary.verdict === v).length
  const healthy = count('healthy')
  const degraded = count('degraded')
  const failing = count('failing')
  return {targets: reports.length, healthy, degraded, failing, verdict: verdictOf(failing, degraded, strict)}
}
