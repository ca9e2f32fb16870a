// The runner-owned database session. One read-only session per run, opened lazily by the first
// check that needs it (the auth check performs the login and classifies its errors; a later check
// run without auth, e.g. `--only server`, opens it itself) and closed by the runner at the end,
// even when a check throws. Checks never close it.
import type {ClientConfig} from 'pg'
import type {NetLookup} from '../probes/dns.js'
import type {OpenSessionResult as SessionOpenResult, PgSession as DbSession} from '../probes/pg-session.js'

export type {SessionOpenResult, DbSession}

export interface SessionBroker {
  /**
   * Opens the app's session once; every later call returns the same result (a failed login is not
   * retried). `config` is the pg ClientConfig to use; without it the broker resolves the app's.
   */
  open(config?: ClientConfig, opts?: {lookup?: NetLookup}): Promise<SessionOpenResult>
  /** The open session, or null when none was opened or the login failed. Never connects. */
  current(): DbSession | null
  /** True once open() was called. */
  readonly attempted: boolean
  close(): Promise<void>
}

export type SessionOpener = (config?: ClientConfig, opts?: {lookup?: NetLookup}) => Promise<SessionOpenResult>

export function createSessionBroker(opener: SessionOpener): SessionBroker {
  let pending: Promise<SessionOpenResult> | undefined
  let opened: SessionOpenResult | undefined
  return {
    open(config, opts) {
      pending ??= opener(config, opts).then((r) => (opened = r))
      return pending
    },
    current() {
      return opened?.ok ? opened.session : null
    },
    get attempted() {
      return pending !== undefined
    },
    async close() {
      if (!pending) return
      const r = await pending.catch(() => undefined)
      if (r?.ok) await r.session.close()
    },
  }
}

/** The default opener: the app's pg ClientConfig, built the way its node-postgres would build it. */
export function appSessionOpener(ctx: {
  config: import('../config/types.js').ResolvedConfig
  env: Record<string, string | undefined>
  options: {timeoutMs: number}
}): SessionOpener {
  return async (given, opts) => {
    const {openSession} = await import('../probes/pg-session.js')
    let config = given
    if (!config) {
      const {resolvePgClientConfig} = await import('../config/pg-config.js')
      try {
        config = resolvePgClientConfig(ctx.config, ctx.env).config
      } catch (error) {
        const {normalizePgError} = await import('../probes/pg-session.js')
        return {ok: false, error: normalizePgError(error, 'connect'), ms: 0}
      }
    }
    return openSession(config, {timeoutMs: ctx.options.timeoutMs, ...(opts?.lookup ? {lookup: opts.lookup} : {})})
  }
}
