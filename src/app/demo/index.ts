// `db-doctor demo`: a throwaway PostgreSQL with TLS on localhost, and real checks against a few
// real faults on it — each scenario is an ordinary `db-doctor check` of a connection string, run in
// a folder of its own with an environment of its own (nothing of the user's is read). The server is
// stopped and its files removed at the end, on Ctrl-C / SIGTERM, and by a watchdog if db-doctor is
// killed. Returns the exit code: 0 when every scenario was diagnosed as expected.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {demoSays, demoScenarios} from '../../catalogue/demo.js'
import {redactor} from '../../core/redact.js'
import type {Report} from '../../core/types.js'
import {renderText} from '../../reporters/text.js'
import {diagnose} from '../diagnose.js'
import {makeDemoCerts} from './certs.js'
import {findBinaries, killDemoServerSync, startDemoServer, type DemoServer} from './server.js'

interface DemoOptions {
  cwd: string
  env: Record<string, string | undefined>
  width: number
  color: boolean
  timeoutMs: number
  tool: string
  /** Where lines go (stdout). */
  print(line: string): void
  /** Where progress and errors go (stderr). */
  note(line: string): void
}

type ScenarioId = keyof typeof demoScenarios

interface Scenario {
  id: ScenarioId
  url: string
  tool?: 'knex'
  /** The codes db-doctor must report (any check), or [] for a healthy run. */
  expect: string[]
}

const secret = () => randomBytes(12).toString('base64url')

/** The demo roles' passwords: random per run, masked in every line. */
type DemoPasswords = {app: string; hash: string; reader: string}

type ScenarioRow = {title: string; got: string; ok: boolean}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const bins = findBinaries(opts.env, opts.cwd)
  if (!bins) {
    opts.note(demoSays.noBinaries())
    return 1
  }
  const pw: DemoPasswords = {app: secret(), hash: `se#${secret()}`, reader: secret()}
  for (const p of Object.values(pw)) redactor.add(p)
  opts.note(demoSays.starting({from: bins.from}))
  let server: DemoServer | undefined
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= server ? server.stop() : Promise.resolve())
  const onSignal = () => {
    opts.note(demoSays.interrupted())
    void stop().finally(() => process.exit(1))
  }
  const onExit = () => {
    if (server && existsSync(server.dir)) killDemoServerSync(server.dir)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', onExit)
  try {
    try {
      server = await startDemoServer(bins, await makeDemoCerts('db-doctor demo CA'), demoSetup(pw))
    } catch (error) {
      opts.note(demoSays.failedToStart({reason: (error as Error).message}))
      return 1
    }
    opts.note(demoSays.started({port: server.port, dir: server.dir}))
    const scenarios = demoScenarioList(server, pw)
    const rows: ScenarioRow[] = []
    for (const [i, s] of scenarios.entries())
      rows.push(await runScenario(s, {n: i + 1, of: scenarios.length}, server, opts))
    return printSummary(rows, opts)
  } finally {
    await stop()
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('exit', onExit)
    if (server) opts.note(demoSays.stopped())
  }
}

/** The roles, databases and faults the demo server is made with. */
function demoSetup(pw: DemoPasswords): Parameters<typeof startDemoServer>[2] {
  return {
    roles: {demo_app: pw.app, demo_hash: pw.hash, demo_reader: pw.reader},
    databases: {demo: 'demo_app', demo_locked: 'demo_app'},
    sql: {
      // PostgreSQL ≤ 14 still grants CREATE on public to PUBLIC: take it away as 15 does
      demo: ['REVOKE CREATE ON SCHEMA public FROM PUBLIC'],
      demo_locked: [
        'CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz)',
        'CREATE TABLE knex_migrations_lock ("index" serial PRIMARY KEY, is_locked integer)',
        'INSERT INTO knex_migrations_lock (is_locked) VALUES (1)',
        'ALTER TABLE knex_migrations OWNER TO demo_app',
        'ALTER TABLE knex_migrations_lock OWNER TO demo_app',
      ],
    },
  }
}

/** Each scenario's connection string against the demo server, and the codes it must get. */
function demoScenarioList(server: DemoServer, pw: DemoPasswords): Scenario[] {
  const base = `localhost:${server.port}`
  const verified = `sslmode=verify-full&sslrootcert=${server.caFile}`
  return [
    {id: 'healthy', url: `postgres://demo_app:${pw.app}@${base}/demo?${verified}`, expect: []},
    {
      id: 'requirePrivateCa',
      url: `postgres://demo_app:${pw.app}@${base}/demo?sslmode=require`,
      expect: ['TLS_UNTRUSTED_ISSUER'],
    },
    {
      id: 'wrongPassword',
      url: `postgres://demo_app:not-${pw.app}@${base}/demo?${verified}`,
      expect: ['AUTH_PASSWORD_FAILED'],
    },
    {
      id: 'unencodedHash',
      url: `postgres://demo_hash:${pw.hash}@${base}/demo?${verified}`,
      expect: ['CONFIG_PASSWORD_NOT_ENCODED'],
    },
    {
      id: 'noCreate',
      url: `postgres://demo_reader:${pw.reader}@${base}/demo?${verified}`,
      tool: 'knex',
      expect: ['PRIV_NO_CREATE_ON_SCHEMA'],
    },
    {
      id: 'knexLock',
      url: `postgres://demo_app:${pw.app}@${base}/demo_locked?${verified}`,
      tool: 'knex',
      expect: ['MIGRATION_LOCKED'],
    },
  ]
}

/** One scenario: an ordinary check of its URL in a folder of its own, printed with its story; its row. */
async function runScenario(
  s: Scenario,
  at: {n: number; of: number},
  server: DemoServer,
  opts: DemoOptions,
): Promise<ScenarioRow> {
  const words = demoScenarios[s.id]
  // each scenario runs in a folder of its own: an app with knex's default migrations folder when it uses knex
  const cwd = path.join(server.dir, 'apps', s.id)
  mkdirSync(path.join(cwd, 'migrations'), {recursive: true})
  const env = {PATH: opts.env.PATH, HOME: cwd, PGPASSFILE: path.join(cwd, '.pgpass-none')}
  const report = await diagnose({
    connection: s.url,
    cwd,
    env,
    options: {
      timeoutMs: opts.timeoutMs,
      verbose: false,
      dnsServers: [],
      ...(s.tool ? {tool: s.tool} : {}),
    },
    tool: opts.tool,
  })
  const head = demoSays.scenarioHead({n: at.n, of: at.of, title: words.title})
  opts.print(`━━ ${head} ${'━'.repeat(Math.max(3, Math.min(opts.width, 100) - head.length - 4))}`)
  opts.print(words.story)
  opts.print(demoSays.command({args: `'${redactor.redact(s.url)}'${s.tool ? ` --tool ${s.tool}` : ''}`}))
  opts.print('')
  opts.print(renderText(report, {color: opts.color, width: opts.width}))
  opts.print('')
  const codes = codesOf(report)
  const ok = s.expect.length === 0 ? report.summary.verdict === 'healthy' : s.expect.every((c) => codes.includes(c))
  return {title: words.title, got: codes.length ? codes.join(', ') : report.summary.verdict, ok}
}

/** The table of scenarios and the last line; the exit code (0 when every one was diagnosed as expected). */
function printSummary(rows: ScenarioRow[], opts: DemoOptions): number {
  opts.print(demoSays.summaryHead())
  for (const r of rows) opts.print(demoSays.summaryRow(r))
  const missed = rows.filter((r) => !r.ok)
  opts.print('')
  opts.print(
    missed.length === 0
      ? demoSays.allAsExpected({n: rows.length})
      : demoSays.notAsExpected({titles: missed.map((r) => r.title).join('; ')}),
  )
  return missed.length === 0 ? 0 : 1
}

/** Every code of a report's warnings and failures, folded findings included. */
function codesOf(report: Report): string[] {
  return report.checks.flatMap((c) => (c.findings ?? []).map((f) => f.code))
}
