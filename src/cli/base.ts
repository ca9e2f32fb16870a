// The shared base of db-doctor's commands: flags, env loading, targets, output through the
// reporter registry (the terminal plus any --output files and GitHub's step summary), exit
// codes and one-line usage errors. Commands stay I/O only; diagnostics live in the library.
// Subpath imports: the package root loads help, ux and a semver check we don't need.
import fs from 'node:fs'
import path from 'node:path'
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {checks} from '../checks/index.js'
import {EnvFileError, loadEnv, type LoadedEnv} from '../config/env.js'
import type {FleetTarget} from '../fleet/index.js'
import {redactor} from '../core/redact.js'
import {inertLine} from '../reporters/escape.js'
import {knexEnvironmentTargets, readTargetsFile, TargetsFileError} from '../fleet/targets.js'
import type {Check, CheckOptions, CheckResult, RunReport} from '../core/types.js'
import {isFleet} from '../core/types.js'
import {FORMATS, isFormat, reporter, type FormatName, type RenderOptions} from '../reporters/index.js'

let exitRequested = false
/** Exit as soon as the command's output is written, without waiting for abandoned sockets or lookups. */
export function requestExit(): void {
  exitRequested = true
}
export function isExitRequested(): boolean {
  return exitRequested
}

/** Flags of every command that runs the checks (check, wait). */
export const checkFlags = {
  format: Flags.option({
    char: 'f',
    description: 'Report format on stdout.',
    options: FORMATS,
    default: 'text' as FormatName,
  })(),
  output: Flags.string({
    description: 'Also write the report in FORMAT to PATH (FORMAT=PATH, e.g. junit=report.xml); repeatable.',
    multiple: true,
    multipleNonGreedy: true,
  }),
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
  knexfile: Flags.string({description: 'Path of the knexfile to read (default: where the knex CLI finds it: the --knexfile of the package.json script that runs knex, else knexfile.js/.mjs/.ts in the working folder or a parent).'}),
  'knex-env': Flags.string({description: 'knexfile environment (default: NODE_ENV, else development).'}),
  tool: Flags.option({
    description: 'The migration tool to check migrations for, when none is found in the folder (knexfile, Prisma schema, node-pg-migrate in package.json).',
    options: ['knex', 'prisma', 'node-pg-migrate'] as const,
  })(),
  'all-envs': Flags.boolean({description: 'Check every environment of the knexfile, as one target each.', default: false}),
  targets: Flags.string({description: 'File listing targets: one connection per line, or JSON lines {"name","connection"}.'}),
  concurrency: Flags.integer({description: 'How many targets are checked at the same time.', default: 8, min: 1, max: 64}),
}

export interface CheckFlags {
  format: FormatName
  output?: string[]
  timeout: number
  only?: string[]
  skip?: string[]
  'env-file'?: string
  strict: boolean
  verbose: boolean
  list: boolean
  'dns-server'?: string[]
  knexfile?: string
  'knex-env'?: string
  tool?: 'knex' | 'prisma' | 'node-pg-migrate'
  'all-envs': boolean
  targets?: string
  concurrency: number
}

interface OutputFile {
  format: FormatName
  file: string
}

/** What to check: one target (the classic report) or several (a fleet report). */
type TargetPlan = {kind: 'single'; connection?: string} | {kind: 'fleet'; targets: FleetTarget[]}

/** What every diagnose call of a command takes (the per-target connection aside). */
interface CommonInput {
  cwd: string
  env: LoadedEnv['env']
  envFileOf: LoadedEnv['envFileOf']
  options: CheckOptions
  only?: string[]
  skip?: string[]
  strict: boolean
  tool: string
}

type Prepared =
  | {kind: 'list'; list: {checks: {id: string; title: string}[]}}
  | {kind: 'run'; outputs: OutputFile[]; format: FormatName; plan: TargetPlan; common: CommonInput}

export abstract class DoctorCommand extends Command {
  static override enableJsonFlag = true

  /** A usage error: one line on stderr, exit 2. */
  protected usage(message: string): never {
    this.error(message, {exit: 2})
  }

  /** The CONNECTION arguments: every non-flag argv entry (oclif's non-strict mode). */
  protected connectionsOf(argv: unknown[]): string[] {
    const out: string[] = []
    for (const a of argv) {
      const s = String(a)
      redactor.addFromConnectionString(s)
      if (/^--?[A-Za-z]/.test(s)) this.usage(`Nonexistent flag: ${s}`)
      out.push(s)
    }
    return out
  }

  protected validateCheckIds(flags: Pick<CheckFlags, 'only' | 'skip'>): void {
    const ids = checks.map((c) => c.id)
    for (const id of [...(flags.only ?? []), ...(flags.skip ?? [])]) {
      if (!ids.includes(id)) this.usage(`Unknown check id "${id}". Known ids: ${ids.join(', ')}.`)
    }
  }

  protected parseOutputs(values: readonly string[] | undefined): OutputFile[] {
    const outputs: OutputFile[] = []
    for (const v of values ?? []) {
      const eq = v.indexOf('=')
      const format = eq > 0 ? v.slice(0, eq) : ''
      const file = eq > 0 ? v.slice(eq + 1) : ''
      if (!isFormat(format) || !file) this.usage(`--output expects FORMAT=PATH with FORMAT one of ${FORMATS.join(', ')} (got "${v}")`)
      const dir = path.dirname(path.resolve(process.cwd(), file))
      if (!fs.existsSync(dir)) this.usage(`--output ${v}: the folder ${dir} does not exist`)
      outputs.push({format, file})
    }
    return outputs
  }

  /** The format printed on stdout (--json wins). */
  protected formatOf(flags: Pick<CheckFlags, 'format'>): FormatName {
    return this.jsonEnabled() ? 'json' : flags.format
  }

  protected loadEnvironment(envFile: string | undefined): LoadedEnv {
    try {
      return loadEnv({cwd: process.cwd(), envFile, processEnv: process.env})
    } catch (error) {
      if (error instanceof EnvFileError) this.usage(error.message)
      throw error
    }
  }

  /** One target, or a fleet: several CONNECTIONs, --targets, --all-envs. */
  protected async planTargets(connections: string[], flags: CheckFlags, env: LoadedEnv): Promise<TargetPlan> {
    const fleet: FleetTarget[] = connections.map((connection) => ({connection}))
    if (flags.targets) {
      try {
        fleet.push(...readTargetsFile(flags.targets, process.cwd()))
      } catch (error) {
        if (error instanceof TargetsFileError) this.usage(error.message)
        throw error
      }
    }
    if (flags['all-envs']) {
      if (flags['knex-env']) this.usage('--all-envs checks every knexfile environment: drop --knex-env')
      const envs = await knexEnvironmentTargets({cwd: process.cwd(), env: env.env, knexfile: flags.knexfile, timeoutMs: flags.timeout})
      if (!envs) this.usage(`--all-envs: no knexfile here${flags.knexfile ? ` (${flags.knexfile})` : ''}`)
      fleet.push(...envs)
    }
    if (!flags.targets && !flags['all-envs'] && fleet.length <= 1) return {kind: 'single', connection: connections[0]}
    return {kind: 'fleet', targets: fleet}
  }

  /**
   * What `check` and `wait` do before any check runs: validate the flags, read the env file and
   * plan the targets; or, for --list, print the list. `common` is what every diagnose call takes.
   */
  protected async prepare(argv: unknown[], flags: CheckFlags): Promise<Prepared> {
    const connections = this.connectionsOf(argv)
    this.validateCheckIds(flags)
    const outputs = this.parseOutputs(flags.output)
    const format = this.formatOf(flags)
    if (flags.list) return {kind: 'list', list: await this.printList(format)}
    const loaded = this.loadEnvironment(flags['env-file'])
    const plan = await this.planTargets(connections, flags, loaded)
    const common = {
      cwd: process.cwd(),
      env: loaded.env,
      envFileOf: loaded.envFileOf,
      options: this.checkOptions(flags),
      only: flags.only,
      skip: flags.skip,
      strict: flags.strict,
      tool: `db-doctor@${this.config.version}`,
    }
    return {kind: 'run', outputs, format, plan, common}
  }

  /** The per-target options every check reads. */
  protected checkOptions(flags: CheckFlags): CheckOptions {
    return {
      timeoutMs: flags.timeout,
      verbose: flags.verbose,
      dnsServers: flags['dns-server'] ?? [],
      knexEnv: flags['knex-env'],
      knexfile: flags.knexfile,
      envFile: flags['env-file'],
      ...(flags.tool ? {tool: flags.tool} : {}),
    }
  }

  protected renderOptions(flags: Pick<CheckFlags, 'verbose' | 'strict'>, forTerminal: boolean): RenderOptions {
    const tty = forTerminal && Boolean(process.stdout.isTTY)
    return {
      color: tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
      verbose: flags.verbose,
      width: tty && process.stdout.columns ? process.stdout.columns : 160,
      strict: flags.strict,
      timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }
  }

  /** --list through the reporter of the chosen format. */
  protected async printList(format: FormatName): Promise<{checks: {id: string; title: string}[]}> {
    const list = checks.map((c) => ({id: c.id, title: c.title}))
    if (!this.jsonEnabled()) this.log((await reporter(format)).renderList(list))
    return {checks: list}
  }

  /**
   * The report on stdout in the chosen format (under --json oclif prints what run() returns),
   * in every --output file, and as Markdown in $GITHUB_STEP_SUMMARY for --format github.
   * Sets exit code 1 when the run is failing.
   */
  protected async emit(doc: RunReport, flags: CheckFlags, outputs: readonly OutputFile[]): Promise<void> {
    const verdict = isFleet(doc) ? doc.summary.verdict : doc.summary.verdict
    if (verdict === 'failing') process.exitCode = 1
    const format = this.formatOf(flags)
    if (!this.jsonEnabled()) this.log((await reporter(format)).render(doc, this.renderOptions(flags, true)))
    for (const o of outputs) {
      const text = (await reporter(o.format)).render(doc, this.renderOptions(flags, false))
      this.writeFile(o.file, text + '\n', false)
    }
    const summary = process.env.GITHUB_STEP_SUMMARY
    if (format === 'github' && summary) {
      this.writeFile(summary, (await reporter('markdown')).render(doc, this.renderOptions(flags, false)) + '\n\n', true)
    }
  }

  /** Every file db-doctor writes passes through the redactor too. */
  protected writeFile(file: string, text: string, append: boolean): void {
    try {
      if (append) fs.appendFileSync(file, redactor.redact(text))
      else fs.writeFileSync(file, redactor.redact(text))
    } catch (error) {
      process.stderr.write(redactor.redact(`db-doctor: cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`) + '\n')
      process.exitCode = 2
    }
  }

  /** Spinners only for a person at a real terminal, for a single target in text. */
  protected async spinnerFor(format: FormatName): Promise<{onStart(c: Check): void; onEnd(r: CheckResult): void} | undefined> {
    const interactive =
      format === 'text' &&
      Boolean(process.stdout.isTTY && process.stderr.isTTY) &&
      (process.stderr.columns ?? 0) > 0 &&
      !process.env.NO_COLOR &&
      !process.env.CI &&
      process.env.TERM !== 'dumb'
    if (!interactive) return undefined
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
    process.stderr.write(inertLine(redactor.redact(`db-doctor: ${line}${known ? ` (see db-doctor ${this.id ?? ''} --help)`.replace('  ', ' ') : ''}`)) + '\n')
    process.exitCode = known && typeof exit === 'number' ? exit : 2
    return undefined
  }

  // Keep the JSON report on stdout even when the command is failing.
  protected override toSuccessJson(result: unknown): unknown {
    return redactor.redactValue(result)
  }
}
