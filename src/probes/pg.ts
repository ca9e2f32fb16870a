// The only code that opens a node-postgres connection. It connects with exactly the
// ClientConfig it is given (built by config/pg-config.ts the way the app's pg would), only
// bounding the connection time by the budget and forcing a read-only session, runs one
// harmless query and always ends the client. Errors come back as data, never thrown.
import {createRequire} from 'node:module'
import type {ClientConfig} from 'pg'
import {redact, redactor} from '../core/redact.js'

const require = createRequire(import.meta.url)

/**
 * node-postgres, loaded synchronously. On load, pg asks "am I in a Cloudflare Worker?": when
 * `navigator` is missing (Node 20) it builds a `new Response()`, which loads undici, about 20 ms
 * of a 200 ms run. Node >= 21 defines `navigator.userAgent` ('Node.js/21'); for the length of the
 * require only, pg sees the same here. The global is removed again before anything else runs.
 */
export function loadPg(): typeof import('pg') {
  const g = globalThis as {navigator?: unknown}
  if (g.navigator !== undefined) return require('pg') as typeof import('pg')
  Object.defineProperty(g, 'navigator', {value: {userAgent: 'Node.js'}, configurable: true, writable: true})
  try {
    return require('pg') as typeof import('pg')
  } finally {
    delete g.navigator
  }
}

export interface PgSessionInfo {
  serverVersion: string
  user: string
  /** inet_server_addr(): the server address of this session; null over a Unix socket. */
  serverAddr: string | null
  tls: {protocol: string | null; cipher: string | null} | null
  /** Round trip of the probe query, in ms. */
  rttMs: number
  /** transaction_read_only of the session (always true: the probe forces it). */
  readOnly: boolean
  /** Time from connect() to a ready session (TCP + TLS + authentication), in ms. */
  connectMs: number
}

export interface PgInnerError {
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
  /** Where it failed: while connecting/authenticating, or during the probe query. */
  stage: 'connect' | 'query'
}

export type PgSessionResult = ({ok: true} & PgSessionInfo) | {ok: false; error: PgProbeError; ms: number}

export const READ_ONLY_OPTION = '-c default_transaction_read_only=on'

/** Merge the read-only option into the app's own `options` (startup parameter). */
export function withReadOnly(options: string | undefined): string {
  if (!options || !options.trim()) return READ_ONLY_OPTION
  if (options.includes('default_transaction_read_only')) return options
  return `${options.trim()} ${READ_ONLY_OPTION}`
}

/** Normalize anything pg or Node throws into a PgProbeError. Pure. */
export function normalizePgError(error: unknown, stage: 'connect' | 'query', timeoutMs?: number): PgProbeError {
  const e = (error ?? {}) as Record<string, unknown> & {errors?: unknown[]}
  const name = typeof e.name === 'string' ? e.name : 'Error'
  let code = typeof e.code === 'string' ? e.code : null
  let message = typeof e.message === 'string' ? e.message : String(error)
  let timedOut = false
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
    message = timeoutMs ? `timeout expired: no ready session within ${timeoutMs} ms` : 'timeout expired'
  }
  if (code === 'ETIMEDOUT') timedOut = true
  if (!message) message = code ?? name
  const out: PgProbeError = {code, message: redact(message), name, timedOut, stage}
  if (errors) out.errors = errors
  for (const k of ['severity', 'detail', 'hint', 'routine'] as const) {
    if (typeof e[k] === 'string' && e[k]) out[k] = redact(e[k] as string)
  }
  return out
}

/**
 * Connect with `config`, run `select version(), current_user, inet_server_addr()` (and
 * transaction_read_only) in a
 * read-only session, end the client. `timeoutMs` bounds the connection (connectionTimeoutMillis,
 * lowered if the app's is longer) and, separately, the query.
 */
export async function pgSession(config: ClientConfig, opts: {timeoutMs: number}): Promise<PgSessionResult> {
  const pg = loadPg()
  if (typeof config.password === 'string') redactor.add(config.password)
  const appTimeout = config.connectionTimeoutMillis
  const connectionTimeoutMillis = appTimeout && appTimeout > 0 ? Math.min(appTimeout, opts.timeoutMs) : opts.timeoutMs
  const client = new pg.Client({
    ...config,
    connectionTimeoutMillis,
    query_timeout: opts.timeoutMs,
    options: withReadOnly(config.options),
  })
  client.on('error', () => {}) // late errors after a failed connect must not crash the process
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
  try {
    await Promise.race([client.connect(), crashed])
    const connectMs = Math.round(performance.now() - started)
    stage = 'query'
    const q0 = performance.now()
    const res = await client.query<{version: string; user: string; addr: string | null; ro: string}>(
      "select version() as version, current_user as user, host(inet_server_addr()) as addr, current_setting('transaction_read_only') as ro",
    )
    const rttMs = Math.round((performance.now() - q0) * 10) / 10
    const row = res.rows[0]!
    return {
      ok: true,
      serverVersion: row.version,
      user: row.user,
      serverAddr: row.addr ?? null,
      tls: tlsInfo(client),
      rttMs,
      readOnly: row.ro === 'on',
      connectMs,
    }
  } catch (error) {
    const message = (error as {message?: string})?.message
    const timedOut = stage === 'query' && typeof message === 'string' && /Query read timeout/.test(message)
    const normalized = normalizePgError(error, stage, connectionTimeoutMillis)
    if (timedOut) normalized.timedOut = true
    return {ok: false, error: normalized, ms: Math.round(performance.now() - started)}
  } finally {
    if (onCrash) process.removeListener('uncaughtException', onCrash)
    await endQuietly(client)
  }
}

function tlsInfo(client: unknown): {protocol: string | null; cipher: string | null} | null {
  const stream = (client as {connection?: {stream?: unknown}}).connection?.stream as
    | {encrypted?: boolean; getProtocol?: () => string | null; getCipher?: () => {name?: string} | undefined}
    | undefined
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
    ;(client as {connection?: {stream?: {destroy?: () => void}}}).connection?.stream?.destroy?.()
  }
}
