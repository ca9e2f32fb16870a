// oclif's side of db-doctor's commands that run the checks: the flags of check and wait, and the
// base class that hands everything around the checks to the Doctor (cli/doctor.ts: env loading,
// targets, output through the reporter registry, exit codes and one-line usage errors), which
// `check`'s fast path (cli/fast-check.ts) runs without oclif. Commands stay I/O only.
// Subpath imports: the package root loads help, ux and a semver check we don't need.
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {TOOL_NAMES} from '../models/tools/names.js'
import type {LoadedEnv} from '../config/env.js'
import {redactor, redactReport} from '../core/redact.js'
import type {RunReport} from '../core/types.js'
import {FORMATS, type FormatName} from '../reporters/index.js'
import {Doctor, type CheckFlags, type CommandHost} from './doctor.js'

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
  timeout: Flags.integer({
    description: 'Budget per network step, in milliseconds.',
    default: 5000,
    min: 100,
    max: 600_000,
  }),
  only: Flags.string({
    description: 'Run only these checks (comma-separated ids).',
    multiple: true,
    multipleNonGreedy: true,
    delimiter: ',',
  }),
  skip: Flags.string({
    description: 'Skip these checks (comma-separated ids).',
    multiple: true,
    multipleNonGreedy: true,
    delimiter: ',',
  }),
  'env-file': Flags.string({description: 'Env file to read (default: .env in the working folder when present).'}),
  strict: Flags.boolean({description: 'Warnings count as failures (exit 1).', default: false}),
  verbose: Flags.boolean({char: 'v', description: 'Show the evidence of every check.', default: false}),
  width: Flags.integer({
    description: 'Wrap the text report to this many columns (default: the terminal, else $COLUMNS, else 160).',
    min: 20,
    max: 1000,
  }),
  list: Flags.boolean({description: 'List the check ids and titles, then exit.', default: false}),
  'dns-server': Flags.string({
    description: 'Also ask this nameserver directly (ip or ip:port, [v6]:port); repeatable.',
    multiple: true,
    multipleNonGreedy: true,
  }),
  knexfile: Flags.string({
    description:
      'Path of the knexfile to read (default: where the knex CLI finds it: the --knexfile of the package.json script that runs knex, else knexfile.js/.mjs/.ts in the working folder or a parent).',
  }),
  'knex-env': Flags.string({description: 'knexfile environment (default: NODE_ENV, else development).'}),
  tool: Flags.option({
    description:
      'The migration tool to check migrations for, when none is found in the folder (knexfile, Prisma schema, node-pg-migrate in package.json).',
    options: TOOL_NAMES,
  })(),
  'all-envs': Flags.boolean({
    description: 'Check every environment of the knexfile, as one target each.',
    default: false,
  }),
  targets: Flags.string({
    description: 'File listing targets: one connection per line, or JSON lines {"name","connection"}.',
  }),
  concurrency: Flags.integer({
    description: 'How many targets are checked at the same time.',
    default: 8,
    min: 1,
    max: 64,
  }),
}

export type {CheckFlags} from './doctor.js'

/**
 * oclif's base of the commands that run the checks: what they do around the checks is the
 * Doctor's (cli/doctor.ts), which `check`'s fast path (cli/fast-check.ts) runs without oclif.
 */
export abstract class DoctorCommand extends Command {
  static override enableJsonFlag = true

  protected readonly doctor: Doctor = new Doctor(hostOf(this))

  /** A usage error: one line on stderr, exit 2. */
  protected usage(message: string): never {
    this.error(message, {exit: 2})
  }

  protected loadEnvironment(envFile: string | undefined): Promise<LoadedEnv> {
    return this.doctor.loadEnvironment(envFile)
  }

  /** See Doctor.prepare: flags validated, env file read, targets planned (or --list printed). */
  protected prepare(argv: unknown[], flags: CheckFlags): ReturnType<Doctor['prepare']> {
    return this.doctor.prepare(argv, flags)
  }

  /** See Doctor.emit: the report on stdout, in the --output files and the step summary; exit code 1 when failing. */
  protected emit(report: RunReport, flags: CheckFlags, outputs: Parameters<Doctor['emit']>[2]): Promise<void> {
    return this.doctor.emit(report, flags, outputs)
  }

  // One clear line, no stack trace, no password, whatever went wrong.
  protected override async catch(error: Error & {oclif?: {exit?: number | false}}): Promise<unknown> {
    if (error.oclif?.exit === 0) return super.catch(error) // --help, --version
    await this.doctor.reportError(error)
    return undefined
  }

  // Keep the JSON report on stdout even when the command is failing.
  protected override toSuccessJson(result: unknown): unknown {
    return redactReport(result)
  }

  protected override toErrorJson(error: unknown): unknown {
    return redactor.redactValue(super.toErrorJson(error))
  }

  /**
   * --json: the same escaping as --format json (bidi and other format characters as \u escapes); the
   * document is masked by structure (toSuccessJson, toErrorJson), so it is written past the output redaction.
   */
  protected override logJson(json: unknown): void {
    this.doctor.writeJson(json)
  }
}

/** The command as the Doctor sees it (read when used: oclif sets the id and argv after construction). */
function hostOf(cmd: Command): CommandHost {
  return {
    get id() {
      return cmd.id
    },
    get version() {
      return cmd.config.version
    },
    jsonEnabled: () => cmd.jsonEnabled(),
  }
}
