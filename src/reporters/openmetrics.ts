// `--format openmetrics` and `serve`'s /probe: a report as Prometheus metrics. Pure: the report in,
// text out. Only numbers read from the report's structured fields and evidence, and label values from closed sets: check ids, catalogue codes, statuses,
// verdicts, phases, families, chain depths (and a fleet target's name). No summary, no evidence text,
// no host, no URL: nothing a server or a config wrote reaches the output.
import {findingsOf, isFleet, type CheckResult, type Report, type RunReport} from '../core/types.js'
import {verdictOf} from '../core/runner.js'
import {renderExposition, type ExpositionFormat, type Sample} from './exposition.js'
import {PROBE_METRICS} from '../catalogue/metrics.js'
import {redactor} from '../core/redact.js'

interface OpenMetricsOptions {
  format?: ExpositionFormat
  /** Warnings fail the probe (--strict). */
  strict?: boolean
  /** The whole probe's duration, when the caller measured it. Default: the sum of the checks'. */
  durationMs?: number
}

const CHECK_ID = /^[a-z][a-z0-9_-]{0,31}$/
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/

/** A check id or code as a label value: only a well-formed one, else "invalid" (never free text). */
function closed(value: string | null | undefined, re: RegExp): string {
  if (!value) return ''
  return re.test(value) ? value : 'invalid'
}

function seconds(ms: unknown): number | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined
}

function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value !== 'string') return undefined
  // to_char(…, 'OF') gives "+00": make it an ISO offset
  const iso = /[+-]\d\d$/.test(value) ? `${value}:00` : value
  const t = Date.parse(iso)
  return Number.isFinite(t) ? t : undefined
}

function rows(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? value.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
    : []
}

/** The samples of one target's report. */
export function reportSamples(report: Report, opts: OpenMetricsOptions = {}): Sample[] {
  const out: Sample[] = []
  const add = (name: string, value: number | undefined, labels?: Record<string, string>) => {
    if (value !== undefined && Number.isFinite(value)) out.push({name, value, ...(labels ? {labels} : {})})
  }
  const checks = report.checks
  const verdict = verdictOf(report.summary.fail, report.summary.warn, opts.strict ?? false)
  add('db_doctor_probe_success', verdict === 'failing' || report.summary.verdict === 'failing' ? 0 : 1)
  add(
    'db_doctor_probe_duration_seconds',
    opts.durationMs !== undefined
      ? opts.durationMs / 1000
      : checks.reduce((s, c) => s + (seconds(c.durationMs) ?? 0), 0),
  )
  const firstOf = (status: 'fail' | 'warn') => {
    for (const c of checks) for (const f of findingsOf(c)) if (f.status === status) return {check: c.id, code: f.code}
    return undefined
  }
  const first = firstOf('fail') ?? firstOf('warn')
  add('db_doctor_verdict', 1, {
    verdict: report.summary.verdict,
    check: closed(first?.check, CHECK_ID),
    code: closed(first?.code, CODE),
  })
  for (const c of checks) {
    const findings = findingsOf(c)
    if (findings.length === 0)
      add('db_doctor_check_status', 1, {check: closed(c.id, CHECK_ID), code: '', status: c.status})
    for (const f of findings)
      add('db_doctor_check_status', 1, {check: closed(c.id, CHECK_ID), code: closed(f.code, CODE), status: f.status})
  }
  for (const c of checks)
    add('db_doctor_check_duration_seconds', seconds(c.durationMs), {check: closed(c.id, CHECK_ID)})
  const byId = new Map(checks.map((c) => [c.id, c]))
  phases(byId, add)
  tls(byId.get('tls'), add)
  slots(byId.get('server'), add)
  migrationLock(byId.get('migrations'), add)
  return out
}

type Add = (name: string, value: number | undefined, labels?: Record<string, string>) => void

function ran(c: CheckResult | undefined): c is CheckResult {
  return c !== undefined && c.status !== 'skip'
}

function phases(byId: Map<string, CheckResult>, add: Add): void {
  const dns = byId.get('dns')
  if (ran(dns)) add('db_doctor_phase_duration_seconds', seconds(dns.durationMs), {phase: 'dns'})
  const tcp = byId.get('tcp')
  if (ran(tcp)) {
    const firstOfFamily = new Map<string, Record<string, unknown>>()
    for (const a of rows(tcp.evidence.attempts)) {
      const family = a.family === 'IPv6' ? 'ipv6' : a.family === 'IPv4' ? 'ipv4' : undefined
      if (family && !firstOfFamily.has(family)) firstOfFamily.set(family, a)
    }
    for (const [family, a] of firstOfFamily) {
      add('db_doctor_phase_duration_seconds', seconds(a.ms), {phase: 'tcp', family})
      add('db_doctor_tcp_connect_success', a.outcome === 'connected' ? 1 : 0, {family})
    }
  }
  const tlsCheck = byId.get('tls')
  if (ran(tlsCheck)) add('db_doctor_phase_duration_seconds', seconds(tlsCheck.durationMs), {phase: 'tls'})
  const auth = byId.get('auth')
  if (ran(auth)) add('db_doctor_phase_duration_seconds', seconds(auth.durationMs), {phase: 'login'})
}

function tls(c: CheckResult | undefined, add: Add): void {
  if (!c) return
  let earliest: number | undefined
  for (const row of rows(c.evidence.chain)) {
    const t = timeOf(row.notAfter)
    const depth =
      typeof row.depth === 'number' && Number.isInteger(row.depth) && row.depth >= 0 && row.depth < 16
        ? row.depth
        : undefined
    if (t === undefined || depth === undefined) continue
    add('db_doctor_tls_cert_expiry_timestamp_seconds', Math.floor(t / 1000), {depth: String(depth)})
    earliest = earliest === undefined ? t : Math.min(earliest, t)
  }
  if (earliest !== undefined) add('db_doctor_tls_earliest_cert_expiry_timestamp_seconds', Math.floor(earliest / 1000))
}

/** The server check's evidence.connectionSlots: numbers, db-doctor's own session not counted. */
function slots(c: CheckResult | undefined, add: Add): void {
  if (!ran(c)) return
  const v = c.evidence.connectionSlots
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return
  const n = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : undefined)
  const {max, used, free} = v as Record<string, unknown>
  add('db_doctor_connection_slots_max', n(max))
  add('db_doctor_connection_slots_used', n(used))
  add('db_doctor_connection_slots_free', n(free))
}

/**
 * The migration lock: held or not, and for an advisory lock (node-pg-migrate, Prisma) the bounds of its
 * age the migrations check read on the server's clock (evidence.lockAge). knex's lock row has no
 * timestamp and can outlive every session (a killed run leaves is_locked = 1): no age is written for it.
 */
function migrationLock(c: CheckResult | undefined, add: Add): void {
  if (!ran(c)) return
  const locked = findingsOf(c).some((f) => f.code === 'MIGRATION_LOCKED')
  add('db_doctor_migration_locked', locked ? 1 : 0)
  if (!locked || c.code !== 'MIGRATION_LOCKED') return
  const age = c.evidence.lockAge
  if (typeof age !== 'object' || age === null || Array.isArray(age)) return
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.round(x) : undefined)
  const {atMostSeconds, atLeastSeconds} = age as Record<string, unknown>
  add('db_doctor_migration_lock_age_seconds', n(atMostSeconds))
  add('db_doctor_migration_lock_min_age_seconds', n(atLeastSeconds))
}

/** A run's report (one target, or a fleet: each target's series carry its name as `target`) as metrics. */
export function renderOpenMetrics(doc: RunReport, opts: OpenMetricsOptions = {}): string {
  const format = opts.format ?? 'openmetrics'
  if (!isFleet(doc)) return redactor.redact(renderExposition(PROBE_METRICS, reportSamples(doc, opts), format))
  const samples = doc.reports.flatMap((r) =>
    reportSamples(r, {...opts, durationMs: undefined}).map((s) => ({...s, labels: {target: r.name, ...s.labels}})),
  )
  return redactor.redact(renderExposition(PROBE_METRICS, samples, format, ['target']))
}
