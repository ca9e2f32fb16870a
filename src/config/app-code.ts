// App files are untrusted code (a knexfile, prisma.config.ts, drizzle.config.ts, a TypeORM data
// source, sequelize-cli's .sequelizerc and config.js). db-doctor runs one only when the user's own
// tool would (sources/knexfile.ts, prisma.ts, drizzle-kit.ts, typeorm.ts, sequelize-cli.ts;
// docs/app-code.md), and then in a
// child process (config/app-child.ts) with limits:
// - a wall-clock budget (--timeout, counted from when the child is ready to evaluate the file):
//   the child is killed, so a synchronous endless loop ends too (AppCodeLimitError 'time');
// - a memory cap: V8's heap (--max-old-space-size) and the child's resident memory, polled from
//   /proc (Buffers live outside the heap) (AppCodeLimitError 'memory');
// - stdout and stderr captured, bounded, and shown later on stderr, redacted (app-output.ts);
// - argv is `node app-child.js` and the environment is the app's (the process environment plus
//   the env file, as the app is given it, without NODE_OPTIONS): the CONNECTION argument, and
//   with it its password, is never handed to the file;
// - process.exit, a late timer, a throw from a callback end or fail the child, never db-doctor.
// What comes back is JSON: functions come back as stand-ins that keep their name (a knex client
// class) and, for ssl.checkServerIdentity, whether the function accepted another host's
// certificate when the child called it (a no-op, the usual "verify-ca" idiom).
import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import {fileURLToPath} from 'node:url'
import {addCapturedOutput} from './app-output.js'

/** V8 heap of the child, MiB. A knexfile needs a few; jiti's transpiler some tens. */
const HEAP_MIB = 256
/** Resident memory of the child, MiB, Buffers included. */
const APP_MEMORY_CAP_MIB = 512
/** Start-up of the child (Node, jiti, the transpiler) before the file's budget starts. */
const STARTUP_MS = 20_000
/** Captured output kept per stream. */
const OUTPUT_LIMIT = 64 * 1024
const TAG = '\u0000dbd'

/**
 * How the child loading an app file ended before it answered, as data (the catalogue words it,
 * catalogue/app-files.ts): killed by a signal, exited (process.exit), or never started (spawn's error).
 */
export type AppCodeEnd =
  {how: 'signal'; signal: string} | {how: 'exit'; code: number | null} | {how: 'spawn'; message: string}

/** The child ended (or never started) before the file finished loading: `end` says how. */
export class AppCodeError extends Error {
  constructor(readonly end: AppCodeEnd) {
    super(end.how === 'signal' ? end.signal : end.how === 'exit' ? `exit ${end.code ?? ''}` : end.message)
    this.name = 'AppCodeError'
  }
}

/**
 * The child was stopped at a limit: the file ran longer than the budget or used too much memory.
 * Data (limit, amount): the catalogue words it (CONFIG_APP_FILE_LIMIT); the message is the amount.
 */
export class AppCodeLimitError extends Error {
  constructor(
    readonly limit: 'time' | 'memory',
    /** The budget (ms) or the cap (MiB) it reached. */
    readonly amount: number,
    /** What the file printed last before it was stopped (redacted later, with all captured output). */
    readonly lastOutput: string,
  ) {
    super(limit === 'time' ? `${amount} ms` : `${amount} MiB`)
    this.name = 'AppCodeLimitError'
  }
}

let compiledChild: string | undefined

/**
 * The child script: the bundle's entry (dist/bundle/app-child.js); from the sources (tests), the
 * TypeScript entry compiled once per process with esbuild into node_modules/.cache, where `jiti`
 * resolves as it does for the bundle.
 */
async function childScript(): Promise<string> {
  const here = fileURLToPath(import.meta.url)
  const built = path.join(path.dirname(here), 'app-child.js')
  if (!here.endsWith('.ts') && fs.existsSync(built)) return built
  if (compiledChild && fs.existsSync(compiledChild)) return compiledChild
  const root = path.resolve(path.dirname(here), '..', '..')
  // a specifier the bundler leaves alone: this path runs from the sources only (the bundle has app-child.js), and
  // esbuild (a development dependency) is no part of the bundle
  const esbuild = 'esbuild'
  const {transformSync} = (await import(esbuild)) as typeof import('esbuild')
  const source = fs.readFileSync(path.join(root, 'src', 'config', 'app-child.ts'), 'utf8')
  const {code} = transformSync(source, {loader: 'ts', format: 'esm', target: 'node20'})
  const dir = path.join(root, 'node_modules', '.cache', 'db-doctor')
  fs.mkdirSync(dir, {recursive: true})
  const file = path.join(dir, `app-child-${process.pid}.mjs`)
  fs.writeFileSync(file, code)
  compiledChild = file
  return file
}

function residentMiB(pid: number): number | undefined {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1])
    return (pages * 4096) / (1024 * 1024)
  } catch {
    return undefined
  }
}

interface Reply {
  ok?: boolean
  ready?: boolean
  value?: unknown
  error?: {name?: unknown; message?: unknown}
}

/**
 * The app-file children still running: killed when this process exits before their budget ends (serve
 * cancelling probes at shutdown, a command ending with requestExit()), so none outlives db-doctor. A
 * child whose file loops synchronously would otherwise never see its IPC channel close.
 */
const liveChildren = new Set<ChildProcess>()
function track(child: ChildProcess): void {
  if (liveChildren.size === 0) process.once('exit', killLiveChildren)
  liveChildren.add(child)
  child.once('exit', () => {
    liveChildren.delete(child)
    if (liveChildren.size === 0) process.removeListener('exit', killLiveChildren)
  })
}
function killLiveChildren(): void {
  for (const c of liveChildren) c.kill('SIGKILL')
}

/**
 * Evaluate an app file's `source` in a child, in `dir` with the environment `env`, for at most
 * `timeoutMs` (default 5000) after start-up. Resolves with the settled export (see app-child.ts);
 * rejects with the file's own error (name and first line), an AppCodeError (it exited, it
 * crashed) or an AppCodeLimitError: the catalogue words the last two (config/sources/app-module.ts failureOf).
 * `label` names the file in the captured output.
 */
export async function runAppFile(opts: {
  kind: 'knexfile' | 'prisma-config' | 'drizzle-config' | 'typeorm' | 'module'
  file: string
  source: string
  dir: string
  env: Record<string, string | undefined>
  knexEnv?: string
  callDefault?: boolean
  /** prisma-config: see app-child.ts AppJob.prismaMigrateAdapter. */
  prismaMigrateAdapter?: {key: 'migrate.adapter' | 'adapter'; requires: 'none' | 'experimental' | 'engine-js'}
  timeoutMs?: number
  label: string
}): Promise<unknown> {
  const budget = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : 5000
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v
  const script = await childScript()
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, script], {
    cwd: opts.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  })
  const out = {stdout: '', stderr: '', dropped: 0}
  const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const room = OUTPUT_LIMIT - out[stream].length
    if (room > 0) out[stream] += chunk.subarray(0, room).toString('utf8')
    out.dropped += Math.max(0, chunk.length - Math.max(room, 0))
  }
  child.stdout!.on('data', collect('stdout'))
  child.stderr!.on('data', collect('stderr'))
  track(child)
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  // The job goes over the IPC channel: nothing of it is in the child's argv or environment.
  child.send(
    {
      kind: opts.kind,
      file: opts.file,
      source: opts.source,
      knexEnv: opts.knexEnv,
      callDefault: opts.callDefault,
      prismaMigrateAdapter: opts.prismaMigrateAdapter,
    },
    () => {},
  )

  let timer: NodeJS.Timeout | undefined
  let poll: NodeJS.Timeout | undefined
  try {
    return await new Promise<unknown>((resolve, reject) => {
      let stopped: AppCodeLimitError | undefined
      const stop = (limit: 'time' | 'memory', amount: number) => {
        if (stopped) return
        stopped = new AppCodeLimitError(limit, amount, lastLine(out.stderr || out.stdout))
        child.kill('SIGKILL')
        reject(stopped)
      }
      timer = setTimeout(() => stop('time', budget), STARTUP_MS + budget)
      poll = setInterval(() => {
        const rss = child.pid ? residentMiB(child.pid) : undefined
        if (rss !== undefined && rss > APP_MEMORY_CAP_MIB) stop('memory', APP_MEMORY_CAP_MIB)
      }, 50)
      child.on('message', (m: Reply) => {
        if (m?.ready) {
          clearTimeout(timer)
          timer = setTimeout(() => stop('time', budget), budget)
          return
        }
        if (m?.ok === true) return resolve(decode(m.value))
        if (m?.ok === false) {
          const e = new Error(String(m.error?.message ?? 'unknown error'))
          if (typeof m.error?.name === 'string' && m.error.name !== 'Error') e.name = m.error.name
          return reject(e)
        }
      })
      child.on('error', (e) => reject(new AppCodeError({how: 'spawn', message: e.message})))
      child.on('close', (code, signal) => {
        if (stopped) return
        if (/heap out of memory|Reached heap limit/i.test(out.stderr)) return stop('memory', HEAP_MIB)
        reject(new AppCodeError(signal ? {how: 'signal', signal} : {how: 'exit', code}))
      })
    })
  } finally {
    clearTimeout(timer)
    clearInterval(poll)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    // what it printed up to the end (bounded wait: the pipes close with the process)
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())])
    const note = out.dropped ? `\n… (${out.dropped} more bytes)` : ''
    const fatal = /FATAL ERROR|heap out of memory/
    const stderr = fatal.test(out.stderr) ? '' : out.stderr // V8's own OOM dump is db-doctor's to word
    if (out.stdout || stderr) addCapturedOutput(opts.label, out.stdout + stderr + note)
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 300) ?? ''
}

/** Undo app-child.ts's encoding: buffers, and stand-ins for functions. */
function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode)
  if (!value || typeof value !== 'object') return value
  const o = value as Record<string, unknown>
  const tag = o[TAG]
  if (tag === 'buffer') return Buffer.from(String(o.base64 ?? ''), 'base64')
  if (tag === 'cut') return undefined
  if (tag === 'function') {
    const fn =
      o.anyHost === true
        ? () => undefined
        : o.anyHost === false
          ? (host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert)
          : () => undefined
    Object.defineProperty(fn, 'name', {value: typeof o.name === 'string' ? o.name : ''})
    return fn
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) out[k] = decode(v)
  return out
}
