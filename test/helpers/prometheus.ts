// A real Prometheus for tests: the Debian package's /usr/bin/prometheus (2.x) and /usr/bin/promtool, run
// as the `postgres` OS user when we are root (as the PostgreSQL and PgBouncer harnesses do), listening on
// loopback with an ephemeral port, its TSDB in a temp folder removed on stop() and at process exit.
// Where the package is not installed, prometheusSupport() says why; with DB_DOCTOR_REQUIRE_LAB=1 (set by
// .ci/run, which installs the `prometheus` package) it throws instead, so the tests fail rather than skip.
import {spawn, type ChildProcess} from 'node:child_process'
import {accessSync, constants, mkdtempSync, rmSync, writeFileSync, chmodSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {chownR, forgetCleanup, freePort, onExit, runAs, spawnWatchdog} from './postgres.js'

export const PROMETHEUS_BIN = process.env.DBD_PROMETHEUS_BIN ?? '/usr/bin/prometheus'
export const PROMTOOL_BIN = process.env.DBD_PROMTOOL_BIN ?? '/usr/bin/promtool'

export function prometheusSupport(): {ok: boolean; reason?: string} {
  let s: {ok: boolean; reason?: string} = {ok: true}
  if (process.platform !== 'linux') s = {ok: false, reason: 'the Prometheus harness runs on Linux'}
  else {
    try {
      accessSync(PROMETHEUS_BIN, constants.X_OK)
      accessSync(PROMTOOL_BIN, constants.X_OK)
    } catch {
      s = {ok: false, reason: `${PROMETHEUS_BIN} or ${PROMTOOL_BIN} is missing (apt-get install prometheus)`}
    }
  }
  if (!s.ok && process.env.DB_DOCTOR_REQUIRE_LAB === '1') throw new Error(`Prometheus is required: ${s.reason}`)
  return s
}

function idOpts(): {uid?: number; gid?: number} {
  const who = runAs()
  return who ? {uid: who.uid, gid: who.gid} : {}
}

/** promtool with `args`, `input` on stdin, as the non-root user; files it reads must be readable by it. */
export function promtool(
  args: string[],
  input?: string,
): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL_BIN, args, {stdio: ['pipe', 'pipe', 'pipe'], ...idOpts(), cwd: tmpdir()})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? '')
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

/** A folder the non-root user can read (promtool / prometheus inputs). */
export function readableDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, 0o755)
  return dir
}

export interface Prometheus {
  port: number
  url: string
  /** GET /api/v1/<path>?<params>: the `data` of a success answer. */
  api<T = any>(path: string, params?: Record<string, string | string[]>): Promise<T>
  /** Instant query: the result vector. */
  query(q: string): Promise<{metric: Record<string, string>; value: [number, string]}[]>
  /** Polls `q` until `ok(result)` or `timeoutMs`. */
  waitFor(
    q: string,
    ok: (r: {metric: Record<string, string>; value: [number, string]}[]) => boolean,
    timeoutMs?: number,
  ): Promise<{metric: Record<string, string>; value: [number, string]}[]>
  log(): string
  stop(): Promise<void>
}

/** Starts Prometheus with `config` (prometheus.yml text); `files` are written beside it (rule files…). */
export async function startPrometheus(config: string, files: Record<string, string> = {}): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'dbd-prom-'))
  writeFileSync(join(dir, 'prometheus.yml'), config)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  chownR(dir, runAs())
  const port = await freePort()
  let log = ''
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    {cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...idOpts()},
  )
  child.stdout!.on('data', (d) => (log += d))
  child.stderr!.on('data', (d) => (log += d))
  const key = `prometheus-${dir}`
  onExit(key, () => {
    try {
      child.kill('SIGKILL')
    } catch {}
    rmSync(dir, {recursive: true, force: true})
  })
  spawnWatchdog(dir, child.pid)
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL')
          resolve()
        }, 5000)
        child.once('exit', () => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    rmSync(dir, {recursive: true, force: true})
    forgetCleanup(key)
  }
  const api = async <T>(path: string, params: Record<string, string | string[]> = {}): Promise<T> => {
    const u = new URL(`/api/v1/${path}`, url)
    for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) u.searchParams.append(k, x)
    const res = await fetch(u)
    const body = (await res.json()) as {status: string; data: T; error?: string}
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`)
    return body.data
  }
  const query = async (q: string) =>
    (await api<{result: {metric: Record<string, string>; value: [number, string]}[]}>('query', {query: q})).result
  // ready?
  const until = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${log}`)
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break
    } catch {}
    if (Date.now() > until) {
      await stop()
      throw new Error(`prometheus not ready after 30 s:\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    port,
    url,
    api,
    query,
    waitFor: async (q, ok, timeoutMs = 20_000) => {
      const end = Date.now() + timeoutMs
      for (;;) {
        const r = await query(q)
        if (ok(r)) return r
        if (Date.now() > end) throw new Error(`prometheus: ${q} → ${JSON.stringify(r)} after ${timeoutMs} ms\n${log}`)
        await new Promise((res) => setTimeout(res, 250))
      }
    },
    log: () => log,
    stop,
  }
}
