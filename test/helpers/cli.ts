// Runs the built CLI as a subprocess, the way users and CI run it.
import {spawn} from 'node:child_process'
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
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
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
