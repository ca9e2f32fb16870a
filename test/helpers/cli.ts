// Runs the built CLI as a subprocess, the way users and CI run it.
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import {fileURLToPath} from 'node:url'
import path from 'node:path'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Variables that would leak the machine's own database settings into a test. */
const SCRUB =
  /^(DATABASE_|DB_|POSTGRES_|SUPABASE_|PG|NODE_OPTIONS$|NODE_ENV$|NODE_TLS_REJECT_UNAUTHORIZED$|NODE_EXTRA_CA_CERTS$)/

export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SCRUB.test(k)) env[k] = v
  env.NO_COLOR = '1'
  env.PGPASSFILE = '/nonexistent/db-doctor-test-pgpass'
  // strict facts in the CLI runs too (vitest.config.ts; DB_* is scrubbed above)
  if (process.env.DB_DOCTOR_STRICT_FACTS) env.DB_DOCTOR_STRICT_FACTS = process.env.DB_DOCTOR_STRICT_FACTS
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/**
 * The built CLI as a child process whose stderr the test watches while it runs, to act on what it has
 * printed so far (open a port, create a socket, send a signal): `onStderr` gets the whole stderr after
 * each chunk, and the child. Resolves with the exit code and both outputs.
 */
export function watchCli(
  args: string[],
  onStderr: (stderr: string, child: ChildProcess) => void,
): Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}> {
  const child = spawn(process.execPath, ['--', BIN, ...args], {env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => {
    stderr += d
    onStderr(stderr, child)
  })
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({code, signal, stdout, stderr})))
}

export function runCli(
  args: string[],
  opts: {cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string} = {},
): Promise<CliResult> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--', BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: cleanEnv(opts.env),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {}) // the CLI may exit before reading it all
      child.stdin!.end(opts.input)
    }
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr, ms: performance.now() - started})
    })
  })
}

/**
 * One `check` run for all three formats: the JSON report on stdout, the text and Markdown reports written by
 * `--output` (the same reporters of the same report as on stdout, which other tests read there), where three runs
 * would prove the same thing three times. `text` and `md` are that run with the file's content as stdout. `run` is
 * runCli with the test's options, or a harness's equivalent (runDoctor).
 */
export async function checkInAllFormats(
  args: string[],
  run: (args: string[]) => Promise<CliResult> = (a) => runCli(a),
): Promise<{json: CliResult; text: CliResult; md: CliResult}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-formats-'))
  try {
    const [textFile, mdFile] = [path.join(dir, 'report.txt'), path.join(dir, 'report.md')]
    const json = await run([
      'check',
      ...args,
      '--json',
      '--output',
      `text=${textFile}`,
      '--output',
      `markdown=${mdFile}`,
    ])
    const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '')
    return {json, text: {...json, stdout: read(textFile)}, md: {...json, stdout: read(mdFile)}}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Parse the JSON report a `--json` run printed. */
export function reportOf(result: CliResult): any {
  try {
    return JSON.parse(result.stdout)
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\n--- stderr ---\n${result.stderr}`)
  }
}

export function checkOf(report: any, id: string): any {
  const c = report.checks.find((x: any) => x.id === id)
  if (!c) throw new Error(`no ${id} check in report: ${JSON.stringify(report.checks.map((x: any) => x.id))}`)
  return c
}
