// Helpers shared by the reporters: how evidence values are laid out.
import type {CheckResult, Status} from '../core/types.js'
import {findingsOf} from '../core/types.js'
import {reportSays} from '../catalogue/formats.js'

export const SYMBOL: Record<Status, string> = {pass: '✓', warn: '!', fail: '✗', skip: '–'}

type Row = Record<string, unknown>

/** "1 warning", "2 warnings" (the reporters' counts). */
function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** "3 passed, 1 warning, 0 failed, 2 skipped" */
export function countsLine(s: {pass: number; warn: number; fail: number; skip: number}): string {
  return `${s.pass} passed, ${plural(s.warn, 'warning')}, ${s.fail} failed, ${s.skip} skipped`
}

interface EvidenceLayout {
  /** Scalars and flattened nested objects: [label, text]. */
  pairs: [string, string][]
  /** Arrays of flat objects, rendered as tables. */
  tables: {title: string; columns: string[]; rows: string[][]}[]
}

function formatScalar(value: unknown): string {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.map((v) => formatScalar(v)).join(', ')
  return JSON.stringify(value)
}

function isFlatObject(v: unknown): v is Row {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every(
      (x) => x === null || typeof x !== 'object' || (Array.isArray(x) && x.every((y) => typeof y !== 'object')),
    )
  )
}

export function layoutEvidence(evidence: Record<string, unknown>): EvidenceLayout {
  const layout: EvidenceLayout = {pairs: [], tables: []}
  const walk = (prefix: string, value: unknown): void => {
    if (Array.isArray(value) && value.length > 0 && value.every(isFlatObject)) {
      const columns: string[] = []
      for (const row of value as Row[]) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k)
      layout.tables.push({
        title: prefix,
        columns,
        rows: (value as Row[]).map((row) => columns.map((c) => formatScalar(row[c]))),
      })
      return
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value)
      if (entries.length === 0) return
      for (const [k, v] of entries) walk(prefix ? `${prefix}.${k}` : k, v)
      return
    }
    if (Array.isArray(value) && value.length === 0) return
    layout.pairs.push([prefix, formatScalar(value)])
  }
  walk('', evidence)
  return layout
}

export function problems(checks: readonly CheckResult[]): CheckResult[] {
  return checks.filter((c) => c.status === 'warn' || c.status === 'fail')
}

export function targetLine(t: {
  host: string | null
  port: number | null
  database: string | null
  user: string | null
  sslmode: string | null
}): string {
  if (!t.host && !t.port && !t.user && !t.database) return reportSays.noTarget()
  const who = t.user ? `${t.user}@` : ''
  const where = `${t.host ?? '?'}${t.port ? `:${t.port}` : ''}`
  const db = t.database ? `/${t.database}` : ''
  const ssl = t.sslmode ? ` (sslmode=${t.sslmode})` : ''
  return `${who}${where}${db}${ssl}`
}

/** "Findings: TLS_SELF_SIGNED_CHAIN (fail), SSLMODE_VERIFY_SEMANTICS (warn)" when a check folded several; else null. */
export function findingsLine(c: CheckResult): string | null {
  const all = findingsOf(c)
  return all.length > 1 ? `Findings: ${all.map((f) => `${f.code} (${f.status})`).join(', ')}` : null
}
