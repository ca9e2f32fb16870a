// The public shapes of db-doctor: what a check returns and what a report holds.
// Check ids and failure codes are a public contract (CI greps them): never rename one.

import type {Facts} from './facts.js'

/** The name of a fact: one slot of Facts (src/core/facts.ts). */
export type FactName = keyof Facts

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

/** One finding of a check, as reports list it (JSON `findings`, JUnit, GitHub annotations). */
interface FindingRef {
  code: string
  status: 'warn' | 'fail'
  summary: string
}

/** What a check returns. A check never prints and never throws on purpose. */
export interface CheckOutcome {
  status: Status
  /** UPPER_SNAKE failure/warning code; null for pass and for skip. */
  code: string | null
  summary: string
  evidence: Evidence
  /** Required for warn and fail. */
  fix: Fix | null
  /**
   * Every finding when the check folded several (src/checks/findings.ts), its own code first.
   * Absent in an outcome: the outcome's own code is its only finding (none for pass and skip). The
   * runner always sets it on a result (JSON `findings`, a public contract); read it with findingsOf().
   */
  findings?: FindingRef[]
}

/**
 * The runner's words, passed in by the app (src/catalogue/runner.ts: `runnerWords`); the runner holds none.
 */
export interface RunnerWords {
  /** The INTERNAL_ERROR outcome of a check that threw (`error`: its class name; the words quote `thrown`). */
  crashed(p: {check: string; error: string; thrown: unknown}): CheckOutcome
  /** The fix of a warn/fail outcome that came without one (INTERNAL_ERROR's). */
  internalFix(check: string): Fix
  /** The summary of a check skipped because `blocker` (the first check that failed on its path) failed. */
  skipped(p: {blocker: string; code: string | null}): string
  /** The summary of the check that was running when the run was cut short (wait's --deadline, a signal). */
  cut(p: {check: string; afterMs: number; by: 'deadline' | 'interrupted'; signal?: string}): string
}

/**
 * The database session a run may hold, as the runner sees it: it plans each check's statements before
 * any check runs and closes the session at the end. Its full shape is the checks' (src/probes/session.ts).
 */
interface RunSession {
  plan(id: string, statements: string[]): void
  close(): Promise<void>
}

/** What the runner itself reads and sets in a check's context; the checks' context extends it (src/checks/types.ts). */
export interface RunContext {
  /** Facts earlier checks established (resolved addresses, reachable ones, TLS offer…). */
  facts: Facts
  /** Results of the checks that already ran, by id: a check reads those it declares in `usesResults`. */
  results: ReadonlyMap<string, CheckResult>
  /**
   * Ids of the checks this run includes (after --only / --skip), set by the runner: a check may leave
   * a finding to a later check only when that check runs. A check asks about those it declares in
   * `usesPlan`. Absent when a check is called directly.
   */
  planned?: ReadonlySet<string>
  /**
   * The run's one read-only database session, owned by the runner (opened lazily, closed at the
   * end). Absent only when a check is called directly (unit tests).
   */
  session?: RunSession
}

/** A check as the runner runs it, over the context type C its caller builds. */
export interface RunnableCheck<C extends RunContext = RunContext> {
  /** Stable id, public contract. */
  id: string
  title: string
  /**
   * Checks whose failure makes this one pointless: when one of them ran and failed
   * (or was skipped for a failure), this check is skipped and says why.
   */
  requires: string[]
  /** Facts this check writes to ctx.facts. */
  provides?: FactName[]
  /** Facts this check reads; each must be provided by an earlier check of the registry. */
  uses?: FactName[]
  /** Earlier checks whose results this check reads (ctx.results.get(id)), by id. */
  usesResults?: string[]
  /** Checks this one asks whether the run includes them (ctx.planned.has(id)), by id. */
  usesPlan?: string[]
  /** It uses the run's database session (ctx.session): its login, or the shared catalog round trip. */
  usesSession?: boolean
  /**
   * The catalog statements this check will read through ctx.session.shared(id, …), when it can tell
   * before any check runs (from the resolved config and options only). The runner sends every check's
   * in one round trip (see probes/session.ts). The same statements must reach shared(), or they are sent
   * alone.
   */
  queries?(ctx: C): string[] | null
  run(ctx: C): Promise<CheckOutcome>
}

export interface CheckResult extends CheckOutcome {
  id: string
  title: string
  durationMs: number
}

/** The findings a result lists: the folded ones, else the outcome's own code (warn and fail only). */
export function findingsOf(outcome: CheckOutcome): FindingRef[] {
  if (outcome.findings && outcome.findings.length > 0) return outcome.findings
  if ((outcome.status === 'warn' || outcome.status === 'fail') && outcome.code)
    return [{code: outcome.code, status: outcome.status, summary: outcome.summary}]
  return []
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
  /**
   * The migration tool and the driver db-doctor modelled, at the versions installed in the app
   * (src/models/tools): `text` is "drizzle-kit 0.31 → postgres.js 3.4". `driver.name` is null for a
   * driver db-doctor does not model (then CONFIG_DRIVER_UNMODELLED says so). Absent when nothing was
   * resolved (a report built by hand).
   */
  modelled?: {
    tool: {name: string; version: string; versionSource: string} | null
    driver: {name: string | null; package: string; version: string; versionSource: string; why: string}
    /** Prisma: the app's runtime (PrismaClient's driver adapter), when it connects otherwise than migrate. */
    runtime?: {
      adapter: {package: string; version: string; versionSource: string}
      driver: {name: string; package: string; version: string; versionSource: string}
      text: string
    }
    text: string
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
