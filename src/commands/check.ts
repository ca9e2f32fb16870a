// `db-doctor check`: I/O only. Reads flags and the env file, calls the library
// (core/diagnose), prints through a reporter and sets the exit code.
// Subpath imports: the package root loads help, ux and a semver check we don't need.
import * as Args from '@oclif/core/args'
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {checks} from '../checks/index.js'
import {EnvFileError, loadEnv} from '../config/env.js'
import {diagnose} from '../core/diagnose.js'
import {redactor} from '../core/redact.js'
import type {Check, CheckResult, Report} from '../core/types.js'

export default class Check_ extends Command {
  static override summary = 'Diagnose why a PostgreSQL connection fails and say what to change.'

  static override description = `Reads the configuration your app reads (the CONNECTION argument, DATABASE_URL / POSTGRES_URL, the DB_*, DATABASE_* or SUPABASE_DB_* variables, PG* variables, ~/.pgpass, knexfile, schema.prisma) and runs the checks in order: configuration, name resolution, Docker networking, TCP, the PostgreSQL protocol, the TLS chain, SSL settings, then authentication in a read-only session. Every warning and failure comes with its evidence and the exact fix.

Exit codes: 0 no check failed (warnings allowed unless --strict); 1 at least one check failed (including a broken connection string); 2 db-doctor was used wrongly.`

  static override enableJsonFlag = true

  static override args = {
    connection: Args.string({
      description: 'postgres:// or postgresql:// URL, or a libpq key=value string ("host=db port=5432 sslmode=require")',
      required: false,
    }),
  }

  static override flags = {
    format: Flags.option({
      char: 'f',
      description: 'Report format.',
      options: ['text', 'json', 'markdown'] as const,
      default: 'text',
    })(),
    timeout: Flags.integer({description: 'Budget per network step, in milliseconds.', default: 5000, min: 100, max: 600_000}),
    only: Flags.string({description: 'Run only these checks (comma-separated ids).', multiple: true, multipleNonGreedy: true, delimiter: ','}),
    skip: Flags.string({description: 'Skip these checks (comma-separated ids).', multiple: true, multipleNonGreedy: true, delimiter: ','}),
    'env-file': Flags.string({description: 'Env file to read (default: .env in the working folder when present).'}),
    strict: Flags.boolean({description: 'Warnings count as failures (exit 1).', default: false}),
    verbose: Flags.boolean({char: 'v', description: 'Show the evidence of every check.', default: false}),
    list: Flags.boolean({description: 'List the check ids and titles, then exit.', default: false}),
    'dns-server': Flags.string({
      description: 'Also ask this nameserver directly (ip or ip:port, [v6]:port); repeatable.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    knexfile: Flags.string({description: 'Path of the knexfile to read (default: knexfile.* in the working folder).'}),
    'knex-env': Flags.string({description: 'knexfile environment (default: NODE_ENV, else development).'}),
  }

  static override examples = [
    {description: 'Check what the app in this folder would connect to (.env, knexfile, schema.prisma…)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Check a URL', command: "<%= config.bin %> <%= command.id %> 'postgres://app@db.example.com:5432/appdb?sslmode=verify-full'"},
    {description: 'CI preflight: JSON report, warnings fail the job', command: '<%= config.bin %> <%= command.id %> --json --strict'},
    {description: 'A report to paste into a ticket', command: '<%= config.bin %> <%= command.id %> --format markdown > db-doctor.md'},
    {description: 'Only the network path, 2 s per step', command: '<%= config.bin %> <%= command.id %> --only dns,tcp,postgres --timeout 2000'},
  ]

  public async run(): Promise<Report | {checks: {id: string; title: string}[]}> {
    const {args, flags} = await this.parse(Check_)
    if (args.connection) redactor.addFromConnectionString(args.connection)

    const ids = checks.map((c) => c.id)
    for (const id of [...(flags.only ?? []), ...(flags.skip ?? [])]) {
      if (!ids.includes(id)) this.error(`Unknown check id "${id}". Known ids: ${ids.join(', ')}.`, {exit: 2})
    }

    const format = this.jsonEnabled() ? 'json' : flags.format
    if (flags.list) {
      const list = checks.map((c) => ({id: c.id, title: c.title}))
      if (format === 'text') for (const c of list) this.log(`${c.id.padEnd(12)} ${c.title}`)
      else if (format === 'markdown') for (const c of list) this.log(`- \`${c.id}\`: ${c.title}`)
      else if (!this.jsonEnabled()) this.log(JSON.stringify({checks: list}, null, 2))
      return {checks: list}
    }

    let loaded
    try {
      loaded = loadEnv({cwd: process.cwd(), envFile: flags['env-file'], processEnv: process.env})
    } catch (error) {
      if (error instanceof EnvFileError) this.error(error.message, {exit: 2})
      throw error
    }

    // Spinners only for a person at a real terminal: both streams are TTYs with a known
    // width (ora loops forever on a zero-column stream), no NO_COLOR, no CI.
    const interactive =
      format === 'text' &&
      Boolean(process.stdout.isTTY && process.stderr.isTTY) &&
      (process.stderr.columns ?? 0) > 0 &&
      !process.env.NO_COLOR &&
      !process.env.CI &&
      process.env.TERM !== 'dumb'
    const spinner = interactive ? await makeSpinner() : undefined

    const report = await diagnose({
      connection: args.connection,
      cwd: process.cwd(),
      env: loaded.env,
      envFileOf: loaded.envFileOf,
      options: {
        timeoutMs: flags.timeout,
        verbose: flags.verbose,
        dnsServers: flags['dns-server'] ?? [],
        knexEnv: flags['knex-env'],
        knexfile: flags.knexfile,
      },
      only: flags.only,
      skip: flags.skip,
      strict: flags.strict,
      tool: `db-doctor@${this.config.version}`,
      hooks: spinner,
    })

    if (report.summary.verdict === 'failing') process.exitCode = 1
    if (this.jsonEnabled()) return report

    if (format === 'json') {
      const {renderJson} = await import('../reporters/json.js')
      this.log(renderJson(report))
    } else if (format === 'markdown') {
      const {renderMarkdown} = await import('../reporters/markdown.js')
      this.log(renderMarkdown(report, {verbose: flags.verbose}))
    } else {
      const {renderText} = await import('../reporters/text.js')
      const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
      const width = process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 160
      this.log(renderText(report, {color, verbose: flags.verbose, width}))
    }
    return report
  }

  // One clear line, no stack trace, no password, whatever went wrong.
  protected override async catch(error: Error & {oclif?: {exit?: number | false}}): Promise<unknown> {
    const exit = error.oclif?.exit
    if (exit === 0) return super.catch(error) // --help, --version
    const first = (error.message || String(error))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('See more help'))
      .slice(0, 2)
      .join(': ')
    const known = exit !== undefined && exit !== false
    const line = known ? first : `internal error: ${first}`
    // process.stderr directly: oclif silences logToStderr under --json.
    process.stderr.write(redactor.redact(`db-doctor: ${line}${known ? ' (see db-doctor check --help)' : ''}`) + '\n')
    process.exitCode = known && typeof exit === 'number' ? exit : 2
    return undefined
  }

  // Keep the JSON report on stdout even when the command is failing.
  protected override toSuccessJson(result: unknown): unknown {
    return redactor.redactValue(result)
  }
}

async function makeSpinner(): Promise<{onStart(c: Check): void; onEnd(r: CheckResult): void}> {
  // Progress only: the spinner names the running check and disappears; the report follows.
  const {default: ora} = await import('ora')
  const spinner = ora({stream: process.stderr, discardStdin: false})
  return {
    onStart(c) {
      spinner.start(`${c.title}…`)
    },
    onEnd() {
      spinner.stop()
    },
  }
}
