// The shape of one catalogue entry. The catalogue is the single source of every
// code db-doctor emits: its check, default status, words (title, meaning, likely
// causes, fix), whether waiting can fix it, and how to recognise it in pasted text.
import type {Fix} from '../core/types.js'

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

export type FixParams = Record<string, unknown>

export interface EntrySpec {
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
  /** Builds the fix for a case; without params (or without a builder) the generic fix. */
  buildFix?: (params: FixParams) => Fix
  /** Can waiting fix it? (`db-doctor wait` retries only transient codes.) */
  transient: boolean
  /** Wordings of this problem in other tools' output (the code itself always matches). */
  matchers: Matcher[]
  /** At least one real message per entry, each matched by this entry's matchers. */
  examples: Example[]
  /** Checks a `db-doctor check --only …` needs to confirm it; default: every check up to this one. */
  confirm?: string[]
}

export interface CatalogueEntry extends Omit<EntrySpec, 'fix' | 'buildFix'> {
  /** The generic fix sentence (README). */
  fixText: string
  /** The fix for a case: the builder with params, else the generic fix. */
  fix(params?: FixParams): Fix
}

export function define(spec: EntrySpec): CatalogueEntry {
  const {fix, buildFix, ...rest} = spec
  return {
    ...rest,
    fixText: fix,
    fix: (params?: FixParams) => (params && buildFix ? buildFix(params) : {summary: fix, steps: []}),
  }
}
