// What the commands that run the checks do around them, without oclif: flags validated, the env
// file read, targets planned, the report printed through the reporter registry (the terminal plus
// any --output files and GitHub's step summary), exit codes and one-line usage errors. oclif's
// commands (cli/base.ts) and `check`'s fast path (cli/fast-check.ts, which never loads oclif) run it.
import fs from 'node:fs'
import path from 'node:path'
import type {ToolName} from '../models/tools/names.js'
import {EnvFileError, loadEnv, type LoadedEnv} from '../config/env.js'
import type {FleetTarget} from '../fleet/index.js'
import {redactor, redactReport, unredacted} from '../core/redact.js'
import {errorHeadline, inertLine, jsonInert} from '../core/escape.js'
import {guardActionsOutput, isActionsContext, writeTrusted} from './actions.js'
import {outputWidth} from '../reporters/wrap.js'
import type {CheckResult, RunReport} from '../core/types.js'
import type {Check, CheckOptions} from '../checks/types.js'
import {isFleet} from '../core/types.js'
import {FORMATS, isFormat, reporter, type FormatName, type RenderOptions} from '../reporters/index.js'
import {FileReadError, UnsafeFileError, writableTargetProblem, writeGuarded} from '../core/files.js'
import {requestExit} from './exit.js'
import {listenForStop} from './stop.js'
import type {usageSays} from '../catalogue/usage.js'

/** The usage errors' words (src/catalogue/usage.ts), loaded with the run: --help needs none of them. */
type UsageWords = typeof usageSays

/** The words of the files db-doctor opens and writes (src/catalogue/files.ts), loaded when needed, as usageSays. */
type FileWords = typeof import('../catalogue/files.js')
const fileWords = (): Promise<FileWords> => import('../catalogue/files.js')

/** The flags of every command that runs the checks (check, wait), parsed: cli/base.ts declares them for oclif. */
export interface CheckFlags {
  format: FormatName
  output?: string[]
  timeout: number
  only?: string[]
  skip?: string[]
  'env-file'?: string
  strict: boolean
  verbose: boolean
  width?: number
  list: boolean
  'dns-server'?: string[]
  knexfile?: string
  'knex-env'?: string
  tool?: ToolName
  'all-envs': boolean
  targets?: string
  concurrency: number
  /** check only: how many app processes run with this configuration (the connection budget). */
  instances?: number
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

/** What the doctor needs from the command running it (oclif's, or the fast path's in cli/fast-check.ts). */
export interface CommandHost {
  /** The command id, for "see db-doctor <id> --help". */
  readonly id: string | undefined
  /** db-doctor's version (package.json), for the report's "tool". */
  readonly version: string
  /** --json: the report is what the command returns, printed by the host. */
  jsonEnabled(): boolean
}

/**
 * A usage error: one line on stderr, exit 2. reportError reads it as it reads oclif's
 * `this.error(message, {exit: 2})` (a message and `oclif.exit`), so either prints the same line.
 */
class UsageError extends Error {
  readonly oclif = {exit: 2}
}

/**
 * What the commands that run the checks (check, wait) do around them, without oclif: validate
 * the flags, read the env file, plan the targets, print the report, report an error. oclif's
 * commands (cli/base.ts) and the fast path of `check` (cli/fast-check.ts) both run it.
 */
export class Doctor {
  constructor(private readonly host: CommandHost) {}

  /** A usage error: one line on stderr, exit 2. */
  usage(message: string): never {
    throw new UsageError(message)
  }

  /** The CONNECTION arguments: every non-flag argv entry (oclif's non-strict mode). */
  connectionsOf(argv: unknown[], says: UsageWords): string[] {
    const out: string[] = []
    for (const a of argv) {
      const s = String(a)
      redactor.addFromConnectionString(s)
      if (/^--?[A-Za-z]/.test(s)) this.usage(says.nonexistentFlag({flag: s}))
      out.push(s)
    }
    return out
  }

  validateCheckIds(flags: Pick<CheckFlags, 'only' | 'skip'>, checks: readonly Check[], says: UsageWords): void {
    const ids = checks.map((c) => c.id)
    for (const id of [...(flags.only ?? []), ...(flags.skip ?? [])]) {
      if (!ids.includes(id)) this.usage(says.unknownCheckId({id, known: ids}))
    }
  }

  parseOutputs(values: readonly string[] | undefined, says: UsageWords, files: FileWords): OutputFile[] {
    const outputs: OutputFile[] = []
    for (const v of values ?? []) {
      const eq = v.indexOf('=')
      const format = eq > 0 ? v.slice(0, eq) : ''
      const file = eq > 0 ? v.slice(eq + 1) : ''
      if (!isFormat(format) || !file) this.usage(says.outputSyntax({value: v, formats: FORMATS}))
      const abs = path.resolve(process.cwd(), file)
      const dir = path.dirname(abs)
      if (!fs.existsSync(dir)) this.usage(says.outputNoFolder({value: v, folder: dir}))
      // Regular files (or /dev/null) only: a FIFO would block the run, a device would take anything.
      const unsafe = writableTargetProblem(file, '--output file')
      if (unsafe) this.usage(files.filesSays.unsafe(unsafe))
      const same = outputs.find((o) => sameOutputPath(path.resolve(process.cwd(), o.file), abs))
      if (same && !isDevNull(abs)) this.usage(says.outputTwice({value: v, file: same.file}))
      outputs.push({format, file})
    }
    return outputs
  }

  /** The format printed on stdout (--json wins). */
  formatOf(flags: Pick<CheckFlags, 'format'>): FormatName {
    return this.host.jsonEnabled() ? 'json' : flags.format
  }

  async loadEnvironment(envFile: string | undefined): Promise<LoadedEnv> {
    try {
      return loadEnv({cwd: process.cwd(), envFile, processEnv: process.env})
    } catch (error) {
      if (error instanceof EnvFileError) this.usage((await fileWords()).filesSays.envFileUnreadable(error))
      throw error
    }
  }

  /** One target, or a fleet: several CONNECTIONs, --targets, --all-envs. */
  async planTargets(connections: string[], flags: CheckFlags, env: LoadedEnv, says: UsageWords): Promise<TargetPlan> {
    const fleet: FleetTarget[] = connections.map((connection) => ({connection}))
    if (!flags.targets && !flags['all-envs'] && fleet.length <= 1) return {kind: 'single', connection: connections[0]}
    const {knexEnvironmentTargets, sequelizeEnvironmentTargets, readTargetsFile, TargetsFileError} =
      await import('../fleet/targets.js')
    if (flags.targets) {
      try {
        fleet.push(...readTargetsFile(flags.targets, process.cwd()))
      } catch (error) {
        if (error instanceof TargetsFileError) this.usage(error.message)
        throw error
      }
    }
    if (flags['all-envs']) {
      if (flags['knex-env']) this.usage(says.allEnvsWithKnexEnv())
      const envs =
        (await knexEnvironmentTargets({
          cwd: process.cwd(),
          env: env.env,
          knexfile: flags.knexfile,
          timeoutMs: flags.timeout,
        })) ??
        (flags.knexfile
          ? undefined
          : await sequelizeEnvironmentTargets({cwd: process.cwd(), env: env.env, timeoutMs: flags.timeout}))
      if (!envs) this.usage(says.allEnvsNoConfig({...(flags.knexfile ? {knexfile: flags.knexfile} : {})}))
      fleet.push(...envs)
    }
    if (!flags.targets && !flags['all-envs'] && fleet.length <= 1) return {kind: 'single', connection: connections[0]}
    return {kind: 'fleet', targets: fleet}
  }

  /**
   * What `check` and `wait` do before any check runs: validate the flags, read the env file and
   * plan the targets; or, for --list, print the list. `common` is what every diagnose call takes.
   */
  async prepare(argv: unknown[], flags: CheckFlags): Promise<Prepared> {
    const [{usageSays: says}, files] = await Promise.all([import('../catalogue/usage.js'), fileWords()])
    const connections = this.connectionsOf(argv, says)
    const {checks} = await import('../checks/index.js')
    this.validateCheckIds(flags, checks, says)
    const outputs = this.parseOutputs(flags.output, says, files)
    const format = this.formatOf(flags)
    if (isActionsContext(format)) guardActionsOutput()
    const summary = process.env.GITHUB_STEP_SUMMARY
    const unsafeSummary =
      format === 'github' && summary ? writableTargetProblem(summary, '$GITHUB_STEP_SUMMARY file') : undefined
    if (unsafeSummary) this.usage(files.filesSays.unsafe(unsafeSummary))
    if (flags.list) return {kind: 'list', list: await this.printList(format, checks)}
    const loaded = await this.loadEnvironment(flags['env-file'])
    const plan = await this.planTargets(connections, flags, loaded, says)
    const common = {
      cwd: process.cwd(),
      env: loaded.env,
      envFileOf: loaded.envFileOf,
      options: this.checkOptions(flags),
      only: flags.only,
      skip: flags.skip,
      strict: flags.strict,
      tool: `db-doctor@${this.host.version}`,
    }
    return {kind: 'run', outputs, format, plan, common}
  }

  /** The per-target options every check reads. */
  checkOptions(flags: CheckFlags): CheckOptions {
    return {
      timeoutMs: flags.timeout,
      verbose: flags.verbose,
      dnsServers: flags['dns-server'] ?? [],
      knexEnv: flags['knex-env'],
      knexfile: flags.knexfile,
      envFile: flags['env-file'],
      ...(flags.tool ? {tool: flags.tool} : {}),
      ...(flags.instances !== undefined ? {instances: flags.instances} : {}),
    }
  }

  renderOptions(flags: Pick<CheckFlags, 'verbose' | 'strict' | 'width'>, forTerminal: boolean): RenderOptions {
    const tty = forTerminal && Boolean(process.stdout.isTTY)
    return {
      color: tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
      verbose: flags.verbose,
      // files (--output) are never a terminal: --width, else COLUMNS, else 160
      width: outputWidth(forTerminal ? process.stdout : {}, process.env, flags.width),
      strict: flags.strict,
      timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }
  }

  /** --list through the reporter of the chosen format. */
  async printList(format: FormatName, checks: readonly Check[]): Promise<{checks: {id: string; title: string}[]}> {
    const list = checks.map((c) => ({id: c.id, title: c.title}))
    if (!this.host.jsonEnabled()) this.out((await reporter(format)).renderList(list))
    return {checks: list}
  }

  /**
   * The report on stdout in the chosen format (under --json oclif prints what run() returns),
   * in every --output file, and as Markdown in $GITHUB_STEP_SUMMARY for --format github.
   * Sets exit code 1 when the run is failing.
   */
  async emit(report: RunReport, flags: CheckFlags, outputs: readonly OutputFile[]): Promise<void> {
    // Masked by structure once every target's secrets are registered: string values only, never
    // keys, numbers or markup; what the reporters make of it is written as it is.
    const doc = redactReport(report)
    const verdict = isFleet(doc) ? doc.summary.verdict : doc.summary.verdict
    if (verdict === 'failing') process.exitCode = 1
    const format = this.formatOf(flags)
    const files = await fileWords()
    if (!this.host.jsonEnabled()) {
      const text = (await reporter(format)).render(doc, this.renderOptions(flags, true))
      // the github format's annotations are workflow commands on purpose; its report text is neutralised
      // written past the output redaction (values are masked by structure already): see out()
      if (format === 'github') unredacted(() => writeTrusted('stdout', text + '\n'))
      else this.out(text)
    }
    for (const o of outputs) {
      const text = (await reporter(o.format)).render(doc, this.renderOptions(flags, false))
      this.writeFile(o.file, text + '\n', false, files)
    }
    const summary = process.env.GITHUB_STEP_SUMMARY
    if (format === 'github' && summary) {
      const unsafe = writableTargetProblem(summary, '$GITHUB_STEP_SUMMARY file')
      if (unsafe) {
        process.stderr.write(inertLine(redactor.redact(`db-doctor: ${files.filesSays.unsafe(unsafe)}`)) + '\n')
        process.exitCode = 2
        return
      }
      const markdown = (await reporter('markdown')).render(doc, this.renderOptions(flags, false))
      this.writeFile(summary, markdown + '\n\n', true, files)
    }
  }

  /**
   * A rendered report on stdout, past the output redaction: its values are already masked by
   * structure, and masking the serialized text again could change a key, a number or markup.
   */
  out(text: string): void {
    unredacted(() => process.stdout.write(text + '\n'))
  }

  /** A rendered report into a file: masked by structure before rendering (see emit), written as it is. */
  writeFile(file: string, text: string, append: boolean, {filesSays}: FileWords): void {
    try {
      // O_NONBLOCK (a FIFO swapped in since the flags were checked fails at once), O_APPEND for the summary
      writeGuarded(file, 'output file', text, append)
    } catch (error) {
      const reason =
        error instanceof UnsafeFileError
          ? filesSays.unsafe(error)
          : filesSays.cannotWrite({
              file,
              reason:
                error instanceof FileReadError
                  ? error.reason
                  : ((error as NodeJS.ErrnoException).code ?? (error as Error).message),
            })
      process.stderr.write(inertLine(redactor.redact(`db-doctor: ${reason}`)) + '\n')
      process.exitCode = 2
    }
  }

  /** Spinners only for a person at a real terminal, for a single target in text. */
  async spinnerFor(
    format: FormatName,
  ): Promise<{onStart(c: Check): void; onEnd(r: CheckResult): void; stop(): void} | undefined> {
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
    const stop = () => void spinner.stop()
    return {onStart: (c) => void spinner.start(`${c.title}…`), onEnd: stop, stop}
  }

  // One clear line, no stack trace, no password, whatever went wrong.
  async reportError(error: Error & {oclif?: {exit?: number | false}}): Promise<void> {
    const exit = error.oclif?.exit
    const [{fileErrorText}, {usageSays}] = await Promise.all([fileWords(), import('../catalogue/usage.js')])
    const first = errorHeadline(fileErrorText(error) ?? error)
    // A FIFO or a device where a file was expected (a knexfile, package.json, a certificate…): a usage error.
    const known = (exit !== undefined && exit !== false) || error instanceof UnsafeFileError
    const line = usageSays.errorLine({message: first, known, ...(this.host.id ? {command: this.host.id} : {})})
    // process.stderr directly: oclif silences logToStderr under --json.
    process.stderr.write(inertLine(redactor.redact(`db-doctor: ${line}`)) + '\n')
    process.exitCode = known && typeof exit === 'number' ? exit : 2 // UnsafeFileError: 2 too
  }

  /**
   * --json: the same escaping as --format json (bidi and other format characters as \u escapes); the
   * document is masked by structure (redactReport), so it is written past the output redaction.
   */
  writeJson(json: unknown): void {
    unredacted(() => process.stdout.write(jsonInert(JSON.stringify(json, null, 2)) + '\n'))
  }

  /**
   * `db-doctor check` once its flags are parsed: the report (or the --list), printed; returned for --json.
   * SIGTERM / SIGINT (a Kubernetes init container or an Argo CD PreSync job ended on its timeout, Ctrl-C) stop
   * the run at once: a single target's report holds the checks that ended and the running one as a skip (the
   * report is failing), a fleet prints none; one line on stderr, exit 1, and the process exits as soon as the
   * output is written (cli/finish.ts), its lookup children killed (probes/dns.ts). A second signal exits 1 at once
   * (cli/stop.ts).
   */
  async check(
    argv: unknown[],
    flags: CheckFlags,
  ): Promise<RunReport | {checks: {id: string; title: string}[]} | undefined> {
    let stop: (signal: NodeJS.Signals) => void = () => {}
    const stopped = new Promise<{signal: NodeJS.Signals}>((resolve) => (stop = (signal) => resolve({signal})))
    let outputs: OutputFile[] = []
    const signals = listenForStop(stop)
    const off = signals.off
    const interrupted = async (signal: NodeJS.Signals, cut: RunReport | undefined) => {
      requestExit()
      const {interruptedSays} = await import('../catalogue/runner.js')
      process.stderr.write(
        interruptedSays.check({signal, checks: cut && 'checks' in cut ? cut.checks.length : null}) + '\n',
      )
      process.exitCode = 1
      if (!cut) return undefined
      await this.emit(cut, flags, outputs)
      process.exitCode = 1
      return cut
    }
    const preparing = this.prepare(argv, flags)
    preparing.catch(() => {}) // an error after a signal: the signal's outcome stands
    let prepared: Awaited<typeof preparing> | {signal: NodeJS.Signals}
    try {
      prepared = await Promise.race([preparing, stopped])
    } catch (error) {
      // a usage error (exit 2) stays one: the handlers go with it
      off()
      throw error
    }
    if ('signal' in prepared) return interrupted(prepared.signal, undefined)
    if (prepared.kind === 'list') {
      off()
      return prepared.list
    }
    const {format, plan, common} = prepared
    outputs = prepared.outputs
    // Loaded here, not at start-up: `check --help` needs none of it.
    let tracker: ReturnType<(typeof import('../app/attempt.js'))['attemptTracker']> | undefined
    const spinner = plan.kind === 'single' ? await this.spinnerFor(format) : undefined
    const run: Promise<RunReport> =
      plan.kind === 'single'
        ? (async () => {
            tracker = (await import('../app/attempt.js')).attemptTracker(common.tool)
            const hooks = tracker.hooks
            return (await import('../app/diagnose.js')).diagnose({
              ...common,
              connection: plan.connection,
              hooks: {
                onStart: (c) => (hooks.onStart?.(c), spinner?.onStart(c as Check)),
                onEnd: (r) => (hooks.onEnd?.(r), spinner?.onEnd(r)),
              },
            })
          })()
        : (async () =>
            (await import('../fleet/index.js')).diagnoseMany({
              ...common,
              targets: plan.targets,
              concurrency: flags.concurrency,
            }))()
    const ended = await Promise.race([run.then((report) => ({report})), stopped])
    if ('report' in ended) {
      // a signal while the report is written: exit 1 at once (the output may be cut)
      signals.exitOnSignal()
      await this.emit(ended.report, flags, outputs)
      off()
      return ended.report
    }
    // stopped: the run's sockets and lookups are abandoned; the process exits once the output is out
    run.catch(() => {})
    spinner?.stop()
    return interrupted(ended.signal, tracker?.cut('interrupted', ended.signal))
  }
}

/** Two --output paths naming the same file (symlinks and hard links included, when it exists). */
function sameOutputPath(a: string, b: string): boolean {
  if (a === b) return true
  try {
    const sa = fs.statSync(a)
    const sb = fs.statSync(b)
    return sa.dev === sb.dev && sa.ino === sb.ino
  } catch {
    try {
      return (
        fs.realpathSync(path.dirname(a)) === fs.realpathSync(path.dirname(b)) && path.basename(a) === path.basename(b)
      )
    } catch {
      return false
    }
  }
}

function isDevNull(file: string): boolean {
  try {
    return fs.realpathSync(file) === '/dev/null'
  } catch {
    return false
  }
}
