// The shape of one catalogue entry. The catalogue is the single source of every
// code db-doctor emits: its check, default status, words (title, meaning, likely
// causes, fix), whether waiting can fix it, and how to recognise it in pasted text.
import type {CheckOutcome, Evidence, Fix} from '../core/types.js'

/** Where a real example message comes from (shown by `explain` and used by tests). */
export type ExampleSource =
  | 'db-doctor'
  | 'node'
  | 'node-postgres'
  | 'knex'
  | 'node-pg-migrate'
  | 'prisma'
  | 'libpq'
  | 'postgres'
  | 'pgbouncer'
  | 'supavisor'
  | 'aws-rds'
  | 'azure'
  | 'google-cloud-sql'
  | 'supabase'
  | 'neon'
  | 'docker'
  | 'golang-migrate'
  | 'postgres.js'
  | 'typeorm'
  | 'drizzle-kit'
  | 'drizzle-orm'
  | 'sequelize'
  /** a pasted setting (a URL from .env or a CI variable), not a message */
  | 'config'

export interface Example {
  /** A real message, as the tool prints it (one line is enough). */
  text: string
  source: ExampleSource
}

/**
 * A pasted-text matcher. A string matches when it occurs in a line, ignoring case.
 * A regular expression is tried on a line only when the line contains `needle`
 * (ignoring case): this keeps explain a linear scan. Keep regexes free of nested
 * quantifiers (no catastrophic backtracking: explain reads hostile logs).
 */
export type Matcher = string | {re: RegExp; needle: string}

export interface EntrySpec<P extends object = object> {
  /** UPPER_SNAKE, public contract: never renamed. */
  code: string
  /** The check that emits it (a check id), or 'runner' for INTERNAL_ERROR. */
  check: string
  /** Default status. */
  status: 'fail' | 'warn'
  /** README's status column when the status depends on the case, e.g. "fail / warn". */
  statusText?: string
  title: string
  meaning: string
  /** Likely causes, most likely first. */
  causes: string[]
  /** The generic fix, one sentence (README's fix column). */
  fix: string
  /**
   * The report's summary of one case, from the params the check emits (the words live here; the
   * check supplies only data). Without it, `emit` uses the title.
   */
  summary?: (params: P) => string
  /** Builds the fix for a case; without params (or without a builder) the generic fix. */
  buildFix?: (params: P) => Fix
  /** Can waiting fix it? (`db-doctor wait` retries only transient codes.) */
  transient: boolean
  /** Wordings of this problem in other tools' output (the code itself always matches). */
  matchers: Matcher[]
  /** At least one real message per entry, each matched by this entry's matchers. */
  examples: Example[]
  /**
   * Recognised in pasted text only: no check emits it yet (src/catalogue/pasted.ts). `check` names the
   * check whose run confirms the surroundings; the code is proven by the explain corpus and live tests.
   */
  explainOnly?: boolean
  /** Checks a `db-doctor check --only …` needs to confirm it; default: every check up to this one. */
  confirm?: string[]
}

/** One finding of a check (several are folded into one outcome by src/checks/findings.ts). */
export interface Finding<C extends string = string> {
  code: C
  severity: 'fail' | 'warn'
  summary: string
  evidence: Evidence
  fix: Fix
}

export interface CatalogueEntry<P extends object = object> extends Omit<EntrySpec<P>, 'fix' | 'buildFix' | 'summary'> {
  /** The generic fix sentence (README). */
  fixText: string
  /** Whether the entry builds its own summary from params (else the title is the summary). */
  readonly hasSummary: boolean
  /** Whether the entry builds a case's fix from params (else the generic fix). */
  readonly hasFixBuilder: boolean
  /** The fix for a case: the builder with params, else the generic fix. */
  fix(params?: P): Fix
  /** The summary of a case: the builder with params, else the title. */
  summarize(params: P): string
  /**
   * What a check returns for this code: status (the entry's default unless given), the code, and the
   * words (summary and fix) built here from `params`; the evidence is the check's.
   */
  emit(params: P, evidence: Evidence, opts?: {status?: 'fail' | 'warn'}): CheckOutcome
  /** The same as a finding, for checks that fold several (src/checks/findings.ts). */
  finding(params: P, evidence: Evidence, opts?: {status?: 'fail' | 'warn'}): Finding
}

/**
 * Defines an entry. `P` is the shape of the params its checks emit: the summary and fix builders
 * are typed by it, and so is every `ENTRY.emit(params, evidence)` call.
 */
export function define<P extends object = object>(spec: EntrySpec<P>): CatalogueEntry<P> {
  const {fix, buildFix, summary, ...rest} = spec
  const fixOf = (params?: P): Fix => (params && buildFix ? buildFix(params) : {summary: fix, steps: []})
  const summarize = (params: P): string => (summary ? summary(params) : spec.title)
  return {
    ...rest,
    fixText: fix,
    hasSummary: !!summary,
    hasFixBuilder: !!buildFix,
    fix: fixOf,
    summarize,
    emit(params, evidence, opts) {
      return {
        status: opts?.status ?? spec.status,
        code: spec.code,
        summary: summarize(params),
        evidence,
        fix: fixOf(params),
      }
    },
    finding(params, evidence, opts) {
      return {
        code: spec.code,
        severity: opts?.status ?? spec.status,
        summary: summarize(params),
        evidence,
        fix: fixOf(params),
      }
    },
  }
}

/**
 * A check's words for outcomes that carry no code (pass and skip summaries): a record of builders
 * kept in the check's catalogue file, next to its codes, so that checks hold data only.
 */
export function messages<M extends Record<string, (...args: never[]) => string>>(m: M): M {
  return m
}

/** What a check of the registry declares about its codes (src/checks/types.ts RegisteredCheck). */
export interface CheckCodes {
  id: string
  /** the catalogue entries of its codes, each list as its catalogue file exports it */
  codes: readonly (readonly CatalogueEntry[])[]
  /** codes of this check that explain's order puts after every check's `codes` (see explainOrder) */
  explainLast?: readonly (readonly CatalogueEntry[])[]
  /** the check whose codes this check's `codes` precede in explain's order (see explainOrder, ./index.ts) */
  explainBefore?: string
}
