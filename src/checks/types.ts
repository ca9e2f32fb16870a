// The checks' side of the check shapes: the context a check of the registry runs with (the resolved
// configuration, the environment, the options, the run's database session) on top of what the
// runner sets (src/core/types.ts RunContext).
import type {CheckCodes} from '../catalogue/types.js'
import type {ToolName} from '../models/tools/names.js'
import type {ResolvedConfig} from '../config/types.js'
import type {RunContext, RunnableCheck} from '../core/types.js'
import type {SessionBroker} from '../probes/session.js'

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
  tool?: ToolName
  /** --instances (check): how many app processes run with this configuration (the connection budget). */
  instances?: number
  /** The age (s) from which another session's open transaction is reported (default 60; tests lower it). */
  longTransactionSeconds?: number
}

export interface CheckContext extends RunContext {
  config: ResolvedConfig
  /** The environment the app would see: process env plus the env file (process wins). */
  env: Record<string, string | undefined>
  cwd: string
  options: CheckOptions
  /**
   * The run's one read-only database session, owned by the runner (opened lazily, closed at the
   * end). Absent only when a check is called directly (unit tests).
   */
  session?: SessionBroker
}

/** A check the runner runs: the registry's, or one a test makes. */
export type Check = RunnableCheck<CheckContext>

/**
 * A check of the registry (src/checks/index.ts): its id as a literal (the registry's ids, CheckId, are the union
 * of them), the catalogue entries of its codes with their place in explain's order (CheckCodes), and its line in
 * docs/codes.md's list of checks.
 */
export interface RegisteredCheck<I extends string = string> extends Check, CheckCodes {
  id: I
  /** what the check establishes, from its catalogue file: its line under "The checks" in docs/codes.md */
  establishes: string
}
