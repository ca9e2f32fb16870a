// `db-doctor wait`: I/O only. Runs the checks until healthy, the deadline, or a failure
// waiting cannot fix (wait/index.ts); one line per attempt on stderr, the final report on
// stdout. SIGTERM / SIGINT end it at once with the last state.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {checkFlags, DoctorCommand, type CheckFlags} from '../cli/base.js'
import {requestExit} from '../cli/exit.js'
import {redactor} from '../core/redact.js'
import {inertLine} from '../core/escape.js'
import type {RunReport} from '../core/types.js'
import type {WaitAttempt} from '../wait/index.js'

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`
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
    const [{diagnose}, {diagnoseMany}, {portReadiness, waitUntilHealthy}] = await Promise.all([
      import('../app/diagnose.js'),
      import('../fleet/index.js'),
      import('../wait/index.js'),
    ])
    const attempt = (): Promise<RunReport> =>
      plan.kind === 'single'
        ? diagnose({...common, connection: plan.connection})
        : diagnoseMany({...common, targets: plan.targets, concurrency: flags.concurrency})

    const controller = new AbortController()
    const onSignal = () => controller.abort()
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
    const result = await waitUntilHealthy({
      attempt,
      deadlineMs: flags.deadline * 1000,
      intervalMs: flags.interval,
      strict: flags.strict,
      signal: controller.signal,
      onAttempt: (a) => this.progress(a),
      readiness: portReadiness(Math.min(flags.timeout, Math.max(flags.interval, 250))),
    })
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    // An attempt cut short by the deadline or a signal may still hold a socket or a DNS
    // lookup: exit as soon as the report is out instead of waiting for them.
    requestExit()

    const last = result.blocking
      ? `${result.blocking.target ? `[${result.blocking.target}] ` : ''}${result.blocking.code}`
      : ''
    const end =
      result.outcome === 'healthy'
        ? `healthy after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}, ${secs(result.elapsedMs)}`
        : result.outcome === 'permanent'
          ? `stopped: ${last} cannot be fixed by waiting`
          : result.outcome === 'deadline'
            ? `deadline of ${flags.deadline} s passed${last ? `; last state ${last}` : ''}`
            : `interrupted${last ? `; last state ${last}` : ''}`
    process.stderr.write(redactor.redact(`db-doctor wait: ${end}`) + '\n')

    if (result.outcome !== 'healthy') process.exitCode = 1
    if (!result.report) {
      process.stderr.write('db-doctor wait: no attempt finished, so there is no report\n')
      return undefined
    }
    await this.emit(result.report, flags, outputs)
    if (result.outcome !== 'healthy') process.exitCode = 1
    return result.report
  }

  private progress(a: WaitAttempt): void {
    const state = a.blocking
      ? `${a.blocking.target ? `[${a.blocking.target}] ` : ''}${a.blocking.code}: ${oneLine(a.blocking.summary)}`
      : 'healthy'
    const next = a.nextInMs !== undefined ? ` (retry in ${secs(a.nextInMs)})` : ''
    process.stderr.write(
      redactor.redact(`db-doctor wait: attempt ${a.attempt}, ${secs(a.elapsedMs)}: ${state}${next}`) + '\n',
    )
  }
}
