// The public shapes of db-doctor: what a check returns and what a report holds.
// Check ids and failure codes are a public contract (CI greps them): never rename one.

import type {ResolvedConfig} from '../config/types.js'
import type {Facts} from './facts.js'
import type {SessionBroker} from './session.js'

export type Status = 'pass' | 'warn' | 'fail' | 'skip'

export interface Snippet {
  /** e.g. "bash", "dotenv", "js", "prisma", "yaml" */
  language: string
  code: string
}

export interface Fix {
  summary: string
  steps: string[]
  snippet?: Snippet
}

/** Evidence is plain JSON data; arrays of flat objects are rendered as tables. */
export type Evidence = Record<string, unknown>

/** What a check returns. A check never prints and never throws on purpose. */
export interface CheckOutcome {
  status: Status
  /** UPPER_SNAKE failure/warning code; null for pass and for skip. */
  code: string | null
  summary: string
  evidence: Evidence
  /** Required for warn and fail. */
  fix: Fix | null
}

export interface CheckOptions {
  /** Budget per network step, in milliseconds. */
  timeoutMs: number
  verbose: boolean
  /** --dns-server values, as given (ip or ip:port). */
  dnsServers: string[]
  /** --knex-env */
  knexEnv?: string
  /** --knexfile */
  knexfile?: string
  /** --env-file: the user named the environment the app runs with (no launch modelling of .env). */
  envFile?: string
  /** --tool: the migration tool named by the user (else the one found in the folder). */
  tool?: 'knex' | 'prisma' | 'node-pg-migrate'
}

export interface CheckContext {
  config: ResolvedConfig
  /** The environment the app would see: process env plus the env file (process wins). */
  env: Record<string, string | undefined>
  cwd: string
  options: CheckOptions
  /** Facts earlier checks established (resolved addresses, reachable ones, TLS offer…). */
  facts: Facts
  /** Results of the checks that already ran, by id. */
  results: ReadonlyMap<string, CheckResult>
  /**
   * Ids of the checks this run includes (after --only / --skip), set by the runner: a check may leave
   * a finding to a later check only when that check runs. Absent when a check is called directly.
   */
  planned?: ReadonlySet<string>
  /**
   * The run's one read-only database session, owned by the runner (opened lazily, closed at the
   * end). Absent only when a check is called directly (unit tests).
   */
  session?: SessionBroker
}

export interface Check {
  /** Stable id, public contract. */
  id: string
  title: string
  /**
   * Checks whose failure makes this one pointless: when one of them ran and failed
   * (or was skipped for a failure), this check is skipped and says why.
   */
  requires: string[]
  /** Facts this check writes to ctx.facts (keys of Facts). */
  provides?: string[]
  /** Facts this check reads; each must be provided by an earlier check of the registry. */
  uses?: string[]
  /**
   * The catalog statements this check will read through ctx.session.shared(id, …), when it can tell
   * before any check runs (from the resolved config and options only). The runner sends every check's
   * in one round trip (see core/session.ts). The same statements must reach shared(), or they are sent
   * alone.
   */
  queries?(ctx: CheckContext): string[] | null
  run(ctx: CheckContext): Promise<CheckOutcome>
}

export interface CheckResult extends CheckOutcome {
  id: string
  title: string
  durationMs: number
}

export type Verdict = 'healthy' | 'degraded' | 'failing'

export interface Report {
  version: 1
  tool: string
  target: {
    host: string | null
    port: number | null
    database: string | null
    user: string | null
    sslmode: string | null
    sources: Record<string, string>
  }
  checks: CheckResult[]
  summary: {pass: number; warn: number; fail: number; skip: number; verdict: Verdict}
}

/** One target of a multi-target run: the single-target report, exactly as it is, plus its name. */
export type NamedReport = Report & {name: string}

/** The report of a run over several targets (several CONNECTIONs, --targets, --all-envs). */
export interface FleetReport {
  version: 1
  tool: string
  reports: NamedReport[]
  summary: {targets: number; healthy: number; degraded: number; failing: number; verdict: Verdict}
}

/** What a run produces: one target's report, or a fleet of them. */
export type RunReport = Report | FleetReport

export function isFleet(doc: RunReport): doc is FleetReport {
  return Array.isArray((doc as FleetReport).reports)
}
