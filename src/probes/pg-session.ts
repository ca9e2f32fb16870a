// The only code that opens a node-postgres connection. It connects with exactly the
// ClientConfig it is given (built by config/pg-config.ts the way the app's pg would): the same
// startup parameters the app sends (nothing added: poolers such as PgBouncer < 1.20 or Neon's refuse
// an `options` they do not know), only the connection time bounded by the budget. db-doctor's own
// queries run inside `BEGIN READ ONLY` … `ROLLBACK`, so nothing the app's `options` / PGOPTIONS set
// (`-c default_transaction_read_only=off`) can make them write, and nothing leaks to other clients of
// a transaction pooler (unlike a session-level SET). Errors come back as data, never thrown.
//
//   openSession(config, {timeoutMs}) → {ok: true, session, …info} | {ok: false, error, ms}
//                         one round trip after the login: `BEGIN READ ONLY; <info>; ROLLBACK`
//     session.batch(sqls)   `BEGIN READ ONLY; s1; s2; …; ROLLBACK` in one round trip
//     session.readOnly(fn)  fn(query) runs in one BEGIN READ ONLY … ROLLBACK transaction; calls are
//                           serialized; a failing fn still rolls back, and its error is rethrown
//     session.close()       ends the client (bounded: a silent peer cannot hold the process). Idempotent.
//   pgSession(config, {timeoutMs}) → the same info, session already closed (the auth check's one-shot).
import net from 'node:net'
import type {ClientConfig} from 'pg'
import {redact, redactor} from '../core/redact.js'
import {abandonableNetLookup, type NetLookup} from './dns.js'
import {ownConnectionClosed, ownSlotRefusal, ownSlotsReleased, probeConnectionsClosed} from './close.js'
import {guardClient, type SessionGuard} from './pg-framing.js'
import {protocolLimitOf, type ProtocolLimit} from '../core/protocol-limit.js'

/** node-postgres, loaded once on first use (pg-load.ts: without its Cloudflare-Workers probe). */
export async function loadPg(): Promise<(typeof import('./pg-load.js'))['default']> {
  return (await import('./pg-load.js')).default
}

interface PgSessionInfo {
  serverVersion: string
  user: string
  /** inet_server_addr(): the server address of this session; null over a Unix socket. */
  serverAddr: string | null
  tls: {protocol: string | null; cipher: string | null} | null
  /** Round trip of the probe query, in ms. */
  rttMs: number
  /** transaction_read_only inside db-doctor's `BEGIN READ ONLY` transaction (always true, or the session fails). */
  readOnly: boolean
  /** Time from connect() to a ready session (TCP + TLS + authentication), in ms. */
  connectMs: number
  /** pg_backend_pid() of the info query (behind a transaction pooler: the server connection lent for it). */
  backendPid: number | null
  /** inet_server_port(): the port the server itself listens on (differs from the app's behind a proxy); null over a Unix socket. */
  serverPort: number | null
  /** What the server (or the pooler in front of it) asked this login for. */
  authRequest?: AuthRequest
}

/**
 * The authentication request the peer sent: SASL with the mechanisms it offered (SCRAM-SHA-256-PLUS only
 * over TLS), an MD5 or cleartext password, or none at all (trust: AuthenticationOk at once).
 */
export interface AuthRequest {
  method: 'sasl' | 'md5' | 'password' | 'none'
  mechanisms: string[]
}

interface PgInnerError {
  code: string | null
  message: string
  address?: string
  port?: number
}

export interface PgProbeError {
  /** SQLSTATE for server errors, errno code (ECONNREFUSED…) for socket errors, ETIMEDOUT for pg's own timeout; else null. */
  code: string | null
  /** Redacted. Never empty: AggregateErrors get their inner messages. */
  message: string
  /** Error class name ("DatabaseError", "Error", "AggregateError"). */
  name: string
  /** Inner errors of an AggregateError (one per address Node tried). */
  errors?: PgInnerError[]
  /** Server error fields, when the server sent them. */
  severity?: string
  detail?: string
  hint?: string
  routine?: string
  /** True when the budget ran out (pg's `timeout expired`, or the query timer). */
  timedOut: boolean
  /**
   * pg's `timeout expired` (message) with the connectionTimeoutMillis it had: no ready session within
   * this many ms (src/catalogue/session.ts sessionErrorText quotes the two together).
   */
  connectTimeoutMs?: number
  /** Where it failed: while connecting/authenticating, or during the probe query. */
  stage: 'connect' | 'query'
  /** The peer broke a protocol limit (pg-framing.ts) and db-doctor ended the connection. */
  protocolLimit?: ProtocolLimit
}

export type PgSessionResult = (({ok: true} & PgSessionInfo) | {ok: false; error: PgProbeError; ms: number}) & {
  /** See OpenSessionResult.fellBack. */
  fellBack?: true
}

/** What db-doctor's queries run in: the app's own session, one read-only transaction at a time. */
const BEGIN_READ_ONLY = 'BEGIN READ ONLY'

/** Normalize anything pg or Node throws into a PgProbeError. Pure. */
export function normalizePgError(error: unknown, stage: 'connect' | 'query', timeoutMs?: number): PgProbeError {
  const e = (error ?? {}) as Record<string, unknown> & {errors?: unknown[]}
  const name = typeof e.name === 'string' ? e.name : 'Error'
  let code = typeof e.code === 'string' ? e.code : null
  let message = typeof e.message === 'string' ? e.message : String(error)
  let timedOut = false
  let connectTimeoutMs: number | undefined
  let errors: PgInnerError[] | undefined
  if (Array.isArray(e.errors) && e.errors.length) {
    errors = e.errors.map((inner) => {
      const i = (inner ?? {}) as Record<string, unknown>
      return {
        code: typeof i.code === 'string' ? i.code : null,
        message: redact(typeof i.message === 'string' ? i.message : String(inner)),
        ...(typeof i.address === 'string' ? {address: i.address} : {}),
        ...(typeof i.port === 'number' ? {port: i.port} : {}),
      }
    })
    const codes = [...new Set(errors.map((x) => x.code).filter((c): c is string => !!c))]
    code ??= codes[0] ?? null
    if (!message) message = errors.map((x) => x.message).join('; ')
  }
  if (message === 'timeout expired' && !code) {
    code = 'ETIMEDOUT'
    timedOut = true
    if (timeoutMs) connectTimeoutMs = timeoutMs
  }
  if (code === 'ETIMEDOUT') timedOut = true
  if (!message) message = code ?? name
  const out: PgProbeError = {code, message: redact(message), name, timedOut, stage}
  if (connectTimeoutMs) out.connectTimeoutMs = connectTimeoutMs
  if (errors) out.errors = errors
  const limit = code === 'EPROTOLIMIT' ? protocolLimitOf(e) : undefined
  if (limit) {
    out.protocolLimit = limit
    // a deadline the socket ran past is a timeout, whatever the peer was sending
    if (limit.kind === 'deadline') {
      out.timedOut = true
      out.code = 'ETIMEDOUT'
    }
  }
  for (const k of ['severity', 'detail', 'hint', 'routine'] as const) {
    if (typeof e[k] === 'string' && e[k]) out[k] = redact(e[k] as string)
  }
  return out
}

/**
 * Runs one query inside a readOnly() transaction; resolves to its rows. With `opts.name`, as a named
 * prepared statement (node-postgres `{name, text}`: Parse once per client, later only Bind/Execute).
 */
type ReadOnlyQuery = <R extends Record<string, unknown> = Record<string, unknown>>(
  text: string,
  values?: unknown[],
  opts?: {name?: string},
) => Promise<R[]>

/** An open session with the app's own startup parameters. */
export interface PgSession {
  /**
   * Runs fn inside one `BEGIN READ ONLY` … `ROLLBACK` transaction and returns what fn returns. fn must
   * only use the `query` it is given (and must not COMMIT). Before fn runs, the transaction is checked
   * to be read-only: if it is not, fn does not run and readOnly() rejects. Calls are serialized. Each
   * query is bounded by the session's timeoutMs (pg's query_timeout). Rejects with what fn or a query
   * threw (server messages redacted), after ROLLBACK.
   */
  readOnly<T>(fn: (query: ReadOnlyQuery) => Promise<T>): Promise<T>
  /**
   * Runs parameterless statements (callers quote literals with sqlLiteral) in one simple-protocol
   * message: `BEGIN READ ONLY; s1; s2; …; ROLLBACK` — one round trip, read-only by the BEGIN itself.
   * Resolves to one row list per statement; rejects (redacted) when one fails, after ROLLBACK.
   * Serialized with readOnly().
   */
  batch(statements: string[]): Promise<Array<Array<Record<string, unknown>>>>
  /** Ends the client (at most ~1 s even when the peer does not answer). Idempotent. */
  close(): Promise<void>
}

export type OpenSessionResult = (
  ({ok: true; session: PgSession} & PgSessionInfo) | {ok: false; error: PgProbeError; ms: number}
) & {
  /**
   * Set when opts.plaintextIfNoTls applied: the server answered N to SSLRequest and the session (or its
   * error) is the plaintext login's.
   */
  fellBack?: true
}

const INFO_QUERY =
  "select version() as version, current_user as user, host(inet_server_addr()) as addr, current_setting('transaction_read_only') as ro, pg_backend_pid() as pid, inet_server_port() as port"

type PgClient = InstanceType<typeof import('pg').Client>

/**
 * Connect with exactly `config` (no startup parameter added), then, in one `BEGIN READ ONLY; …;
 * ROLLBACK` message (one round trip), read `version(), current_user, inet_server_addr()`,
 * transaction_read_only, the backend pid and the server's port. `timeoutMs`
 * bounds the connection (connectionTimeoutMillis, lowered if the app's is longer) and, separately,
 * every query. On success the caller owns the session and must close() it.
 */
export async function openSession(config: ClientConfig, opts: SessionOptions): Promise<OpenSessionResult> {
  let first = await openOnce(config, opts)
  // refused for a connection limit just after db-doctor's own probe left: perhaps for that probe (close.ts)
  if (!first.ok && first.error.stage === 'connect' && opts.limitRefusal?.(first.error) && ownSlotRefusal()) {
    await ownSlotsReleased()
    first = await openOnce(config, opts)
  }
  // the app's driver asks for TLS and goes on in plaintext on the server's N (postgres.js `prefer`, Prisma's
  // engine): node-postgres has no such mode and fails with this message on N (pg/lib/connection.js)
  if (
    !first.ok &&
    opts.plaintextIfNoTls &&
    config.ssl &&
    first.error.stage === 'connect' &&
    NO_TLS_ANSWER.test(first.error.message)
  ) {
    return {...(await openOnce({...config, ssl: false}, opts)), fellBack: true}
  }
  return first
}

/** node-postgres' error when the server answers N to its SSLRequest (pg/lib/connection.js), and only it. */
const NO_TLS_ANSWER = /^The server does not support SSL connections$/

async function openOnce(config: ClientConfig, opts: SessionOptions): Promise<OpenSessionResult> {
  const pg = await loadPg()
  if (typeof config.password === 'string') redactor.add(config.password)
  const appTimeout = config.connectionTimeoutMillis
  const connectionTimeoutMillis = appTimeout && appTimeout > 0 ? Math.min(appTimeout, opts.timeoutMs) : opts.timeoutMs
  const stream = config.stream ?? abandonableStream(config.host, opts)
  const client: PgClient = new pg.Client({
    ...config,
    connectionTimeoutMillis,
    query_timeout: opts.timeoutMs,
    ...(stream ? {stream} : {}),
  })
  client.on('error', () => {}) // late errors after a failed connect must not crash the process
  const guard = guardClient(client)
  const authRequest = watchAuthRequest(client)
  // db-doctor's own probes have left the server first: their slots must not count against this login
  await probeConnectionsClosed(typeof config.port === 'number' ? config.port : undefined)
  const started = performance.now()
  let stage: 'connect' | 'query' = 'connect'
  // node-postgres can throw from inside a socket event (URL `ssl=false` keeps the string
  // "false", which is truthy, and then `'key' in "false"` throws): the app crashes with that
  // error. Here it becomes the session's error instead of crashing db-doctor.
  let onCrash: ((e: unknown) => void) | undefined
  const crashed = new Promise<never>((_, reject) => {
    onCrash = (e) => reject(e)
    process.once('uncaughtException', onCrash)
  })
  crashed.catch(() => {})
  const session = makeSession(client, guard, opts.timeoutMs)
  try {
    await Promise.race([client.connect(), crashed])
    const connectMs = Math.round(performance.now() - started)
    stage = 'query'
    const q0 = performance.now()
    // one flight: the statement only reads, and BEGIN READ ONLY is checked in the same answer
    const [rows] = await Promise.race([session.batch([INFO_QUERY]), crashed])
    const rttMs = Math.round((performance.now() - q0) * 10) / 10
    const row = (rows?.[0] ?? {}) as {
      version?: string
      user?: string
      addr?: string | null
      ro?: string
      pid?: number | null
      port?: number | null
    }
    if (row.ro !== 'on')
      throw new Error(`the transaction is not read-only (transaction_read_only = ${row.ro ?? 'unknown'})`)
    return {
      ok: true,
      session,
      serverVersion: String(row.version ?? ''),
      user: String(row.user ?? ''),
      serverAddr: row.addr ?? null,
      tls: tlsInfo(client),
      rttMs,
      readOnly: row.ro === 'on',
      connectMs,
      backendPid: row.pid === null || row.pid === undefined ? null : Number(row.pid),
      serverPort: row.port === null || row.port === undefined ? null : Number(row.port),
      authRequest,
    }
  } catch (error) {
    await session.close()
    const message = (error as {message?: string})?.message
    const timedOut = stage === 'query' && typeof message === 'string' && /Query read timeout/.test(message)
    // the limit the peer broke is the cause, whatever pg made of the connection it lost
    const normalized = normalizePgError(guard.failure ?? error, stage, connectionTimeoutMillis)
    if (timedOut) normalized.timedOut = true
    return {ok: false, error: normalized, ms: Math.round(performance.now() - started)}
  } finally {
    if (onCrash) process.removeListener('uncaughtException', onCrash)
  }
}

/** Records the first authentication request pg's Connection parses (its events, before pg answers them). */
function watchAuthRequest(client: PgClient): AuthRequest {
  const seen: AuthRequest = {method: 'none', mechanisms: []}
  let first = true
  const connection = (client as unknown as {connection?: {on?: (e: string, f: (m: unknown) => void) => void}})
    .connection
  const on = (event: string, method: AuthRequest['method']) =>
    connection?.on?.(event, (msg) => {
      if (!first) return
      first = false
      seen.method = method
      const list = (msg as {mechanisms?: unknown})?.mechanisms
      if (Array.isArray(list)) seen.mechanisms = list.filter((m): m is string => typeof m === 'string').slice(0, 8)
    })
  on('authenticationSASL', 'sasl')
  on('authenticationMD5Password', 'md5')
  on('authenticationCleartextPassword', 'password')
  return seen
}

/**
 * A step's grace after pg's own query_timeout: pg rejects the query at timeoutMs but keeps the socket
 * (and the ROLLBACK queued behind a message that never ends); the step deadline then destroys it.
 */
const DEADLINE_GRACE_MS = 250

function makeSession(client: PgClient, guard: SessionGuard, timeoutMs: number): PgSession {
  let chain: Promise<unknown> = Promise.resolve()
  let closed: Promise<void> | undefined
  /** One step: a fresh byte budget, and the socket destroyed if the step outlives its deadline. */
  const step = async <T>(body: () => Promise<T>): Promise<T> => {
    guard.step()
    const disarm = guard.deadline(timeoutMs + DEADLINE_GRACE_MS)
    try {
      return await body()
    } catch (error) {
      throw guard.failure ?? error
    } finally {
      disarm()
    }
  }
  const run = async <T>(fn: (query: ReadOnlyQuery) => Promise<T>): Promise<T> => {
    if (closed) throw new Error('the database session is closed')
    let inTx = false
    try {
      // one simple-protocol round trip: the transaction is read-only or fn never runs
      const res = (await client.query(
        `${BEGIN_READ_ONLY}; select current_setting('transaction_read_only') as ro`,
      )) as unknown as Array<{
        rows: Array<{ro?: string}>
      }>
      inTx = true
      const ro = Array.isArray(res) ? res[1]?.rows[0]?.ro : undefined
      if (ro !== 'on') throw new Error(`the transaction is not read-only (transaction_read_only = ${ro ?? 'unknown'})`)
      let active = true
      const query: ReadOnlyQuery = async (text, values, opts) => {
        if (!active) throw new Error('query() used after its readOnly() transaction ended')
        const r = opts?.name
          ? await client.query({name: opts.name, text, ...(values ? {values} : {})})
          : await client.query(text, values)
        return r.rows as never
      }
      try {
        return await fn(query)
      } finally {
        active = false
      }
    } catch (error) {
      throw redactErrorMessage(error)
    } finally {
      if (inTx) await client.query('ROLLBACK').catch(() => {})
    }
  }
  const runBatch = async (statements: string[]): Promise<Array<Array<Record<string, unknown>>>> => {
    if (closed) throw new Error('the database session is closed')
    try {
      const res = (await client.query([BEGIN_READ_ONLY, ...statements, 'ROLLBACK'].join(';\n'))) as unknown
      const list = (Array.isArray(res) ? res : [res]) as Array<{rows: Array<Record<string, unknown>>}>
      return list.slice(1, 1 + statements.length).map((r) => r.rows)
    } catch (error) {
      // the failed statement aborted the transaction and the rest of the message was skipped
      await client.query('ROLLBACK').catch(() => {})
      throw redactErrorMessage(error)
    }
  }
  return {
    batch(statements) {
      const next = chain.then(
        () => step(() => runBatch(statements)),
        () => step(() => runBatch(statements)),
      )
      chain = next.catch(() => {})
      return next
    },
    readOnly<T>(fn: (query: ReadOnlyQuery) => Promise<T>): Promise<T> {
      const next = chain.then(
        () => step(() => run(fn)),
        () => step(() => run(fn)),
      )
      chain = next.catch(() => {})
      return next
    },
    close() {
      // a peer that broke a limit gets no Terminate and no second of grace
      closed ??= guard.failure ? Promise.resolve(destroyClient(client)) : endQuietly(client)
      return closed
    },
  }
}

/**
 * The auth check's one-shot: openSession(), then close() at once. Same information, no handle.
 */
export interface SessionOptions {
  timeoutMs: number
  /**
   * How the host name is resolved for the login (net.connect's `lookup`). Default: an
   * abandonable lookup (a getaddrinfo child process killed after timeoutMs); the auth check passes
   * the dns check's own getaddrinfo answer for the same name (abandonableNetLookup).
   */
  lookup?: NetLookup
  /**
   * The app's driver goes on in plaintext when the server answers N to SSLRequest (postgres.js `prefer`,
   * Prisma's engine without sslmode) and the answer is not known beforehand (the postgres check did not run:
   * `--only`, `--skip`): a TLS login the server refuses so is made again without TLS (the result says
   * `fellBack`). Only that answer: a TLS handshake or login that fails after an S is the app's error too.
   */
  plaintextIfNoTls?: boolean
  /**
   * Whether a failed login was refused for a connection limit (the caller reads the wording: the auth
   * check's classification). Such a refusal right after db-doctor's own probe closed is made once more
   * (close.ts ownSlotRefusal): the slot may have been that probe's.
   */
  limitRefusal?: (error: PgProbeError) => boolean
}

/**
 * node-postgres calls `stream.connect(port, host)` and resolves `host` with dns.lookup in this
 * process, which cannot be cancelled: a stalled nameserver would hold db-doctor's exit. For a host
 * name (not an IP, not a Unix socket) pg gets a plain net.Socket whose connect passes a `lookup`
 * that can be abandoned. Everything else is pg's own: the host name it connects to (so TLS
 * servername and the certificate check are unchanged), Happy Eyeballs, timeouts.
 */
function abandonableStream(host: string | undefined, opts: SessionOptions): (() => net.Socket) | undefined {
  if (!host || host.startsWith('/') || net.isIP(host.replace(/^\[|\]$/g, ''))) return undefined
  const lookup = opts.lookup ?? abandonableNetLookup({timeoutMs: opts.timeoutMs})
  return () => {
    const socket = new net.Socket()
    const connect = socket.connect.bind(socket) as (...args: unknown[]) => net.Socket
    ;(socket as unknown as {connect: (...args: unknown[]) => net.Socket}).connect = (...args: unknown[]) => {
      if (
        args.length >= 2 &&
        typeof args[1] === 'string' &&
        (typeof args[0] === 'number' || typeof args[0] === 'string')
      ) {
        return connect({port: Number(args[0]), host: args[1], lookup})
      }
      return connect(...args)
    }
    return socket
  }
}

export async function pgSession(config: ClientConfig, opts: SessionOptions): Promise<PgSessionResult> {
  const r = await openSession(config, opts)
  if (!r.ok) return r
  const {session, ...info} = r
  await session.close()
  return info
}

/** What pg_hba says to the same login over TLS (hbaOverTls). */
export type TlsAdmission =
  /** pg_hba admitted it: the server moved on to authentication (or trust let it in). */
  | {outcome: 'admitted'}
  /** Refused before authentication (28000), e.g. a `host … reject` line that also matches TLS. */
  | {outcome: 'rejected'; code: string | null; message: string}
  /** The server does not do TLS. */
  | {outcome: 'no-tls'}
  /** Anything else (timeout, handshake failure…): no conclusion. */
  | {outcome: 'unknown'; code: string | null; message: string}

/**
 * What hbaOverTls' password function throws: the server asked for a password, so pg_hba admitted the
 * login and no password was sent. Recognised by its class (pg rejects connect() with it), never shown.
 */
class PasswordRequested extends Error {
  constructor() {
    super('PASSWORD_REQUESTED')
    this.name = 'PasswordRequested'
  }
}

/**
 * Would pg_hba admit this login over TLS? Sends the app's startup packet (user, database, its other
 * parameters) over TLS and stops as soon as the server asks for a password: no password, key or
 * certificate of the app is ever sent (password is a function that refuses, ssl has no client key),
 * so the certificate is not verified either. A `trust` login is closed before any query.
 */
export async function hbaOverTls(config: ClientConfig, opts: {timeoutMs: number}): Promise<TlsAdmission> {
  const pg = await loadPg()
  const {
    password: _password,
    ssl: _ssl,
    connectionString: _cs,
    ...rest
  } = config as ClientConfig & {connectionString?: string}
  const client: PgClient = new pg.Client({
    ...rest,
    ssl: {rejectUnauthorized: false},
    password: () => {
      throw new PasswordRequested()
    },
    connectionTimeoutMillis: opts.timeoutMs,
    query_timeout: opts.timeoutMs,
  })
  client.on('error', () => {})
  const guard = guardClient(client)
  try {
    await probeConnectionsClosed(typeof rest.port === 'number' ? rest.port : undefined)
    await client.connect()
    return {outcome: 'admitted'}
  } catch (err) {
    const error = guard.failure ?? err
    const e = error as {code?: unknown; message?: unknown}
    const message = typeof e?.message === 'string' ? e.message : String(error)
    const code = typeof e?.code === 'string' ? e.code : null
    if (error instanceof PasswordRequested) return {outcome: 'admitted'}
    if (/does not support SSL/i.test(message)) return {outcome: 'no-tls'}
    if (code === '28000' && /pg_hba\.conf/.test(message)) return {outcome: 'rejected', code, message: redact(message)}
    return {outcome: 'unknown', code, message: redact(message)}
  } finally {
    await endQuietly(client)
  }
}

function tlsInfo(client: unknown): {protocol: string | null; cipher: string | null} | null {
  const stream = (client as {connection?: {stream?: unknown}}).connection?.stream as
    {encrypted?: boolean; getProtocol?: () => string | null; getCipher?: () => {name?: string} | undefined} | undefined
  if (!stream || !stream.encrypted || typeof stream.getProtocol !== 'function') return null
  return {protocol: stream.getProtocol() ?? null, cipher: stream.getCipher?.()?.name ?? null}
}

async function endQuietly(client: {end: () => Promise<void>}): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      client.end().catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000)
        timer.unref?.()
      }),
    ])
  } finally {
    clearTimeout(timer)
    // a peer that never answers the Terminate must not keep the process alive
    destroyClient(client)
    ownConnectionClosed()
  }
}

function destroyClient(client: unknown): void {
  ;(client as {connection?: {stream?: {destroy?: () => void}}}).connection?.stream?.destroy?.()
}

/** The same error, its message redacted (a server error can quote the query or a setting). */
function redactErrorMessage(error: unknown): unknown {
  const e = error as {message?: unknown}
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    try {
      e.message = redact(e.message)
    } catch {}
  }
  return error
}
