// The runner-owned database session. One read-only session per run, opened lazily by the first
// check that needs it (the auth check performs the login and classifies its errors; a later check
// run without auth, e.g. `--only server`, opens it itself) and closed by the runner at the end,
// even when a check throws. Checks never close it.
//
// One round trip for the catalog reads of every check: before the first check runs, the runner asks
// each check that will run for the statements it will send (Check.queries) and plans them here; the
// first check that asks for its results (shared()) sends every planned statement in ONE
// `BEGIN READ ONLY; …; ROLLBACK` message and each check takes its slice. The statements are written so
// that they cannot fail on a healthy or an ordinary broken server (missing tables are guarded with
// to_regclass, unreadable ones with has_table_privilege); when one still fails, the whole message is
// aborted, and each check then sends its own statements alone, so one check's error stays its own.
import type {ClientConfig} from 'pg'
import type {OpenSessionResult as SessionOpenResult, PgSession as DbSession, SessionOptions} from './pg-session.js'

export type {SessionOpenResult, DbSession}

export interface SessionBroker {
  /**
   * Opens the app's session once; every later call returns the same result (a failed login is not
   * retried). `config` is the pg ClientConfig to use; without it the broker resolves the app's.
   */
  open(config?: ClientConfig, opts?: SessionOpenOptions): Promise<SessionOpenResult>
  /** The open session, or null when none was opened or the login failed. Never connects. */
  current(): DbSession | null
  /** True once open() was called. */
  readonly attempted: boolean
  /** Declares the statements the check `id` will pass to shared() (the runner, before any check runs). */
  plan(id: string, statements: string[]): void
  /**
   * The rows of `statements` (one list per statement), read in the open session: with every other
   * planned check's statements in one round trip when the runner planned exactly these for `id`, else
   * alone (one round trip). Rejects when no session is open or a statement fails.
   */
  shared(id: string, statements: string[]): Promise<Rows[]>
  close(): Promise<void>
}

type Rows = Array<Record<string, unknown>>

/** How the login resolves the host, and whether it goes on in plaintext on the server's N (pg-session.ts SessionOptions). */
type SessionOpenOptions = Pick<SessionOptions, 'lookup' | 'plaintextIfNoTls' | 'limitRefusal'>

export type SessionOpener = (config?: ClientConfig, opts?: SessionOpenOptions) => Promise<SessionOpenResult>

export function createSessionBroker(opener: SessionOpener): SessionBroker {
  let pending: Promise<SessionOpenResult> | undefined
  let opened: SessionOpenResult | undefined
  const plans = new Map<string, string[]>()
  let combined: Promise<Map<string, Rows[]> | {timedOut: unknown} | null> | undefined
  const sendPlanned = (session: DbSession): Promise<Map<string, Rows[]> | {timedOut: unknown} | null> => {
    const ids = [...plans.keys()]
    const all = ids.flatMap((id) => plans.get(id)!)
    return session.batch(all).then(
      (rows) => {
        const byId = new Map<string, Rows[]>()
        let at = 0
        for (const id of ids) {
          const n = plans.get(id)!.length
          byId.set(id, rows.slice(at, at + n))
          at += n
        }
        return byId
      },
      // one statement failed: each check sends its own (shared() below); but a server too slow for the
      // budget would be as slow for each check's part, so a timeout is every planned check's answer
      (error: {code?: string; message?: string}) =>
        error?.code === '57014' || /timeout/i.test(error?.message ?? '') ? {timedOut: error} : null,
    )
  }
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
    plan(id, statements) {
      if (!combined && statements.length) plans.set(id, [...statements])
    },
    async shared(id, statements) {
      const r = pending ? await pending : undefined
      if (!r?.ok) throw new Error('no database session is open')
      const planned = plans.get(id)
      if (planned && planned.length === statements.length && planned.every((s, i) => s === statements[i])) {
        combined ??= sendPlanned(r.session)
        const done = await combined
        if (done && 'timedOut' in done) throw done.timedOut
        const mine = done?.get(id)
        if (mine) return mine
      }
      return r.session.batch(statements)
    },
    async close() {
      if (!pending) return
      const r = await pending.catch(() => undefined)
      if (r?.ok) await r.session.close()
    },
  }
}
