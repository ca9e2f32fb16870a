// `db-doctor wait`: I/O only. Runs the checks until healthy, the deadline, or a failure
// waiting cannot fix (wait/index.ts); one line per attempt on stderr, the final report on
// stdout. SIGTERM / SIGINT end it at once with the last state.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {checkFlags, DoctorCommand, type CheckFlags} from '../cli/base.js'
import {requestExit} from '../cli/exit.js'
import {listenForStop} from '../cli/stop.js'
import {redactor} from '../core/redact.js'
import {inertLine} from '../core/escape.js'
import type {RunReport} from '../core/types.js'
import type {WaitAttempt} from '../wait/index.js'
import type {waitSays} from '../catalogue/wait.js'

type WaitSays = typeof waitSays
const oneLine = (s: string, max = 200) => {
  const flat = inertLine(s.replace(/[ \t\r\n]+/g, ' ').trim())
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

export default class Wait extends DoctorCommand {
  static override summary = 'Wait until a PostgreSQL connection is healthy (init containers, CI, PreSync jobs).'

  static override description = `Runs the checks of db-doctor check until the target is healthy (warnings allowed unless --strict), the --deadline passes, or a failure that waiting cannot fix appears (a wrong password, a hostname mismatch, an invalid URL, a missing database…), in which case it stops at once. Unlike pg_isready or a TCP wait, "healthy" means the app's own settings log in.

Retries start after --interval and double, with jitter, up to 5 s. One line per attempt on stderr (attempt, elapsed time, the blocking code and its summary); the final report on stdout in the chosen format. SIGTERM and SIGINT end the wait at once with the last state reported.

Exit codes: 0 healthy; 1 a failure waiting cannot fix, the deadline passed, or interrupted; 2 db-doctor was used wrongly.`

  static override strict = false

  static override args = {
    connection: Args.string({
      description: 'postgres:// or postgresql:// URL, or a libpq key=value string; several = wait for all of them',
      required: false,
    }),
  }

  static override flags = {
    ...checkFlags,
    deadline: Flags.integer({description: 'Give up after this many seconds.', default: 60, min: 1, max: 86_400}),
    interval: Flags.integer({
      description: 'First retry after this many milliseconds (then doubling, with jitter, up to 5 s).',
      default: 1000,
      min: 50,
      max: 60_000,
    }),
  }

  static override examples = [
    {
      description: 'Gate a migration on the database the app in this folder uses',
      command: '<%= config.bin %> <%= command.id %> && npx knex migrate:latest',
    },
    {
      description: 'Kubernetes init container: up to 2 minutes, a short timeout per step',
      command: '<%= config.bin %> <%= command.id %> --deadline 120 --timeout 3000',
    },
    {
      description: 'Wait for a URL, JSON report at the end',
      command: "<%= config.bin %> <%= command.id %> 'postgres://app@db:5432/appdb?sslmode=verify-full' --json",
    },
  ]

  public async run(): Promise<RunReport | {checks: {id: string; title: string}[]} | undefined> {
    const {argv, flags: parsed} = await this.parse(Wait)
    const flags = parsed as CheckFlags & {deadline: number; interval: number}
    const prepared = await this.prepare(argv, flags)
    if (prepared.kind === 'list') return prepared.list
    const {outputs, plan, common} = prepared
    // Loaded here, not at start-up: `wait --help` needs none of it.
    const [{diagnose}, {diagnoseMany}, {portReadiness, waitUntilHealthy}, {attemptTracker}, {waitSays}] =
      await Promise.all([
        import('../app/diagnose.js'),
        import('../fleet/index.js'),
        import('../wait/index.js'),
        import('../app/attempt.js'),
        import('../catalogue/wait.js'),
      ])
    this.says = waitSays
    // a single target's attempt in flight is followed, so a deadline that cuts the only attempt still reports
    let tracker: ReturnType<typeof attemptTracker> | undefined
    const attempt = (): Promise<RunReport> => {
      if (plan.kind !== 'single')
        return diagnoseMany({...common, targets: plan.targets, concurrency: flags.concurrency})
      tracker = attemptTracker(common.tool)
      return diagnose({...common, connection: plan.connection, hooks: tracker.hooks})
    }

    const controller = new AbortController()
    const signals = listenForStop(() => controller.abort())
    const result = await waitUntilHealthy({
      attempt,
      deadlineMs: flags.deadline * 1000,
      intervalMs: flags.interval,
      strict: flags.strict,
      signal: controller.signal,
      onAttempt: (a) => this.progress(a),
      cutReport: (by) => tracker?.cut(by),
      readiness: portReadiness(Math.min(flags.timeout, Math.max(flags.interval, 250))),
    })
    // a signal while the report is written exits 1 at once (cli/stop.ts), never by the signal (143/130)
    signals.exitOnSignal()
    // An attempt cut short by the deadline or a signal may still hold a socket or a DNS
    // lookup: exit as soon as the report is out instead of waiting for them.
    requestExit()

    const last = result.blocking
      ? `${result.blocking.target ? `[${result.blocking.target}] ` : ''}${result.blocking.code}`
      : ''
    const end =
      result.outcome === 'healthy'
        ? waitSays.healthy({attempts: result.attempts, elapsedMs: result.elapsedMs})
        : result.outcome === 'permanent'
          ? waitSays.permanent({last})
          : result.outcome === 'deadline'
            ? waitSays.deadline({deadlineS: flags.deadline, last})
            : waitSays.interrupted({last})
    process.stderr.write(redactor.redact(end) + '\n')

    if (result.outcome !== 'healthy') process.exitCode = 1
    if (!result.report) {
      process.stderr.write(waitSays.noReport() + '\n')
      return undefined
    }
    if (result.cut && 'checks' in result.report)
      process.stderr.write(waitSays.cut({checks: result.report.checks.length}) + '\n')
    await this.emit(result.report, flags, outputs)
    if (result.outcome !== 'healthy') process.exitCode = 1
    return result.report
  }

  private says?: WaitSays

  private progress(a: WaitAttempt): void {
    const state = a.blocking
      ? `${a.blocking.target ? `[${a.blocking.target}] ` : ''}${a.blocking.code}: ${oneLine(a.blocking.summary)}`
      : null
    process.stderr.write(
      redactor.redact(
        this.says!.attempt({
          attempt: a.attempt,
          elapsedMs: a.elapsedMs,
          state,
          ...(a.nextInMs !== undefined ? {nextInMs: a.nextInMs} : {}),
        }),
      ) + '\n',
    )
  }
}
