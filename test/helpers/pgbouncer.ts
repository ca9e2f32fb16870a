// A real PgBouncer for tests: the Debian package's /usr/sbin/pgbouncer (1.18 here) in front of a test
// PostgreSQL (test/helpers/postgres.ts), on loopback with an ephemeral port.
//
// - Runs as the `postgres` OS user when we are root (PgBouncer refuses root, like postgres).
// - Clients log in with SCRAM-SHA-256 against the roles' real SCRAM verifiers, copied from pg_authid into
//   auth_file; PgBouncer then logs in to the server with the keys the client's SCRAM exchange gave it
//   (no password is written anywhere).
// - PgBouncer talks to the server over TLS, verifying it against the test CA (server_tls_sslmode).
// - Clients may use TLS too (clientTls), with the default test leaf (localhost, 127.0.0.1, ::1).
// - pool_mode transaction (default) or session. PgBouncer 1.18 refuses the startup parameter `options`
//   (`unsupported startup parameter: options`) unless ignoreStartupParameters lists it.
//
// Everything lives under os.tmpdir() and is removed on stop(), on failure and at process exit (a
// watchdog covers SIGKILL). Where PgBouncer is not installed, pgbouncerSupport() says why; with
// DB_DOCTOR_REQUIRE_LAB=1 (set by .ci/run, which installs the `pgbouncer` package) it throws instead,
// so the tests that need it fail rather than skip.

import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PG_HOST} from './constants.js'
import {
  chownR,
  defaultTlsMaterial,
  forgetCleanup,
  freePort,
  onExit,
  runAs,
  spawnWatchdog,
  type PgInfo,
} from './postgres.js'

export const PGBOUNCER_BIN = process.env.DBD_PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer'

export interface StartPgBouncerOptions {
  /** The PostgreSQL behind it (e.g. inject('pg')). It must have TLS on (server_tls_sslmode = verify-full). */
  pg: PgInfo
  /** Default 'transaction'. */
  poolMode?: 'transaction' | 'session'
  /** TLS between clients and PgBouncer (client_tls_sslmode). Default 'disable'. */
  clientTls?: 'disable' | 'allow' | 'prefer' | 'require'
  /** Roles admitted (their SCRAM verifiers go to auth_file). Default: every login role with a SCRAM verifier. */
  users?: string[]
  /** ignore_startup_parameters (default none: PgBouncer 1.18 then refuses `options`). */
  ignoreStartupParameters?: string[]
  /** Extra [pgbouncer] settings. */
  settings?: Record<string, string | number>
}

export interface PgBouncer {
  host: string
  port: number
  poolMode: 'transaction' | 'session'
  /** Its temp dir (config, auth_file, log), removed by stop(). */
  dir: string
  /** The CA clients should trust when clientTls is on (the test CA). */
  caPem: string
  /** PgBouncer's log so far (for failure messages). */
  log(): string
  /** Stops PgBouncer (SIGTERM, SIGKILL after 5 s) and removes its files. Idempotent. */
  stop(): Promise<void>
}

export interface PgBouncerSupport {
  ok: boolean
  reason?: string
}

/**
 * Can this machine run PgBouncer? With DB_DOCTOR_REQUIRE_LAB=1 (CI) a missing binary throws, so the tests
 * that need it fail loudly instead of skipping.
 */
export function pgbouncerSupport(): PgBouncerSupport {
  let s: PgBouncerSupport = {ok: true}
  if (process.platform !== 'linux') s = {ok: false, reason: 'the PgBouncer harness runs on Linux'}
  else {
    try {
      accessSync(PGBOUNCER_BIN, constants.X_OK)
    } catch {
      s = {ok: false, reason: `${PGBOUNCER_BIN} is not installed (apt-get install -y pgbouncer)`}
    }
  }
  if (!s.ok && process.env.DB_DOCTOR_REQUIRE_LAB === '1') {
    throw new Error(`PgBouncer is required (DB_DOCTOR_REQUIRE_LAB=1) but unavailable: ${s.reason}`)
  }
  return s
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Whether this PgBouncer listens on `port`: its log says so once its bind and listen succeeded. Not a connection
 * to the port: (1) anything listening there answered it, also another process that took the port between
 * freePort() and PgBouncer's bind (PgBouncer then exits on "Address already in use"), and a connect to a free
 * local port in the ephemeral range now and then connects to itself; a full run declared such a PgBouncer up,
 * its watchdog removed the directory of the exited process, and all of close.test.ts's logins went to a port
 * nobody served ("(no log)", ECONNREFUSED). (2) PgBouncer counts the probe's client until it reads its end: at
 * max_client_conn = 1 the test's first client right after the start was refused 1 time in 40.
 */
function logSaysListening(logFile: string, port: number): boolean {
  try {
    return readFileSync(logFile, 'utf8').includes(`listening on ${PG_HOST}:${port}\n`)
  } catch {
    return false
  }
}

/** `"name"` quoting of auth_file: a double quote inside is doubled. */
const q = (s: string) => `"${s.replace(/"/g, '""')}"`

async function scramVerifiers(pg: PgInfo, users?: string[]): Promise<Array<[string, string]>> {
  const {default: pgLib} = await import('pg')
  const client = new pgLib.Client({
    host: pg.host,
    port: pg.port,
    user: pg.superuser.user,
    password: pg.superuser.password,
    database: 'postgres',
    ssl: pg.caPem ? {ca: pg.caPem, servername: 'localhost'} : false,
    connectionTimeoutMillis: 10_000,
  })
  await client.connect()
  try {
    const {rows} = await client.query<{rolname: string; rolpassword: string}>(
      "select rolname, rolpassword from pg_authid where rolcanlogin and rolpassword like 'SCRAM-SHA-256$%' order by rolname",
    )
    const all = rows.map((r) => [r.rolname, r.rolpassword] as [string, string])
    if (!users) return all
    const missing = users.filter((u) => !all.some(([n]) => n === u))
    if (missing.length > 0) throw new Error(`startPgBouncer: no SCRAM verifier for ${missing.join(', ')}`)
    return all.filter(([n]) => users.includes(n))
  } finally {
    await client.end()
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n')
  } catch {
    return '(no log)'
  }
}

/** Start a real PgBouncer in front of `opts.pg`. See the file header. */
export async function startPgBouncer(opts: StartPgBouncerOptions): Promise<PgBouncer> {
  const support = pgbouncerSupport()
  if (!support.ok) throw new Error(`startPgBouncer: ${support.reason}`)
  if (!opts.pg.caFile) throw new Error('startPgBouncer: the PostgreSQL behind it must have TLS on')
  const poolMode = opts.poolMode ?? 'transaction'
  const clientTls = opts.clientTls ?? 'disable'
  const who = runAs()
  const base = mkdtempSync(join(tmpdir(), 'dbd-pgbouncer-'))
  let child: ChildProcess | undefined
  const hardCleanup = () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL')
      } catch {}
    }
    rmSync(base, {recursive: true, force: true})
  }
  onExit(base, hardCleanup)
  const fail = (error: unknown): never => {
    hardCleanup()
    forgetCleanup(base)
    throw error
  }

  const logFile = join(base, 'pgbouncer.log')
  try {
    const verifiers = await scramVerifiers(opts.pg, opts.users)
    writeFileSync(join(base, 'userlist.txt'), verifiers.map(([u, v]) => `${q(u)} ${q(v)}`).join('\n') + '\n', {
      mode: 0o600,
    })
    writeFileSync(join(base, 'server-ca.crt'), readFileSync(opts.pg.caFile))
    let caPem = ''
    const clientTlsLines: string[] = [`client_tls_sslmode = ${clientTls}`]
    if (clientTls !== 'disable') {
      const {ca, leaf} = await defaultTlsMaterial()
      caPem = ca.certPem
      writeFileSync(join(base, 'client.crt'), leaf.certPem)
      writeFileSync(join(base, 'client.key'), leaf.keyPem, {mode: 0o600})
      clientTlsLines.push(
        `client_tls_cert_file = ${join(base, 'client.crt')}`,
        `client_tls_key_file = ${join(base, 'client.key')}`,
      )
    }
    writeFileSync(logFile, '')
    chownR(base, who)
    chmodSync(base, 0o700)

    let lastError: Error | undefined
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = await freePort()
      const settings: Record<string, string | number> = {
        listen_addr: PG_HOST,
        listen_port: port,
        unix_socket_dir: '',
        auth_type: 'scram-sha-256',
        auth_file: join(base, 'userlist.txt'),
        pool_mode: poolMode,
        max_client_conn: 50,
        default_pool_size: 5,
        server_tls_sslmode: 'verify-full',
        server_tls_ca_file: join(base, 'server-ca.crt'),
        // a failed server login is retried after 1 s, not the default 15 s
        server_login_retry: 1,
        ignore_startup_parameters: (opts.ignoreStartupParameters ?? []).join(','),
        logfile: logFile,
        pidfile: join(base, 'pgbouncer.pid'),
        log_connections: 1,
        log_disconnections: 1,
        ...opts.settings,
      }
      const ini = [
        '[databases]',
        `* = host=${opts.pg.host} port=${opts.pg.port}`,
        '',
        '[pgbouncer]',
        ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`),
        ...clientTlsLines,
        '',
      ].join('\n')
      const iniFile = join(base, 'pgbouncer.ini')
      writeFileSync(iniFile, ini, {mode: 0o600})
      if (who) chownR(base, who)
      const proc = spawn(PGBOUNCER_BIN, [iniFile], {
        uid: who?.uid,
        gid: who?.gid,
        cwd: base,
        env: {PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C'},
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      child = proc
      let stderr = ''
      proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
      proc.on('error', (e) => (stderr += `\n${e.message}`))
      let exited = false
      proc.once('exit', () => (exited = true))
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline && !exited) {
        if (logSaysListening(logFile, port) && !exited) {
          spawnWatchdog(base, proc.pid)
          let stopped = false
          return {
            host: PG_HOST,
            port,
            poolMode,
            dir: base,
            caPem,
            log: () => readLog(logFile),
            async stop() {
              if (stopped) return
              stopped = true
              if (proc.exitCode === null && proc.signalCode === null) {
                const exit = once(proc, 'exit')
                proc.kill('SIGTERM')
                const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
                await exit
                clearTimeout(timer)
              }
              rmSync(base, {recursive: true, force: true})
              forgetCleanup(base)
            },
          }
        }
        await sleep(50)
      }
      const log = `${readLog(logFile)}\n${stderr}`
      if (!exited) {
        proc.kill('SIGKILL')
        throw new Error(`PgBouncer did not listen within 30 s. Log:\n${log}`)
      }
      lastError = new Error(`PgBouncer exited during startup (exit ${proc.exitCode}). Log:\n${log}`)
      if (!/Address already in use|bind/i.test(log)) throw lastError
      writeFileSync(logFile, '')
    }
    throw lastError!
  } catch (error) {
    return fail(error)
  }
}
