// The usage errors of the CLI: a mistyped command (src/cli/argv.ts plans the argv, src/cli.ts prints the
// line) and the flags of the commands that run the checks (src/cli/doctor.ts). One line on stderr, exit 2.
// Also the line of any error a command ends with (src/cli/doctor.ts reportError, src/commands/explain.ts).
import type {FileReason} from '../core/files.js'
import {fileReasonText} from './files.js'
import {messages} from './types.js'

/** The --targets file as its errors name it (fleet/targets.ts parseTargets may be given no file name). */
const targetsFile = (file: string | undefined): string => file ?? 'the targets file'

export const usageSays = messages({
  /** `db-doctor chek …` (via 'argv'), or `db-doctor help chek` (via 'help'). */
  unknownCommand: (p: {command: string; suggestion?: string; commands: readonly string[]; via: 'argv' | 'help'}) =>
    `command ${JSON.stringify(p.command)} not found.${p.suggestion ? ` Did you mean ${p.suggestion}?` : ''} Commands: ${p.commands.join(', ')}${p.via === 'argv' ? ' (db-doctor --help)' : ''}.`,
  nonexistentFlag: (p: {flag: string}) => `Nonexistent flag: ${p.flag}`,
  unknownCheckId: (p: {id: string; known: readonly string[]}) =>
    `Unknown check id "${p.id}". Known ids: ${p.known.join(', ')}.`,
  outputSyntax: (p: {value: string; formats: readonly string[]}) =>
    `--output expects FORMAT=PATH with FORMAT one of ${p.formats.join(', ')} (got "${p.value}")`,
  outputNoFolder: (p: {value: string; folder: string}) => `--output ${p.value}: the folder ${p.folder} does not exist`,
  outputTwice: (p: {value: string; file: string}) =>
    `--output ${p.value}: ${p.file} is already an --output target (one file per --output)`,
  allEnvsWithKnexEnv: () => '--all-envs checks every knexfile environment: drop --knex-env',
  allEnvsNoConfig: (p: {knexfile?: string}) =>
    `--all-envs: no knexfile${p.knexfile ? '' : ' or sequelize-cli config'} here${p.knexfile ? ` (${p.knexfile})` : ''}`,
  /** --targets FILE (fleet/targets.ts TargetsFileError): the file, and the line when one is wrong. */
  targetsUnreadable: (p: {file: string; reason: FileReason}) =>
    `Cannot read the targets file ${p.file}: ${fileReasonText(p.reason)}`,
  targetsLineNotJson: (p: {file?: string; line: number}) => `${targetsFile(p.file)} line ${p.line}: not valid JSON`,
  targetsLineNoConnection: (p: {file?: string; line: number}) =>
    `${targetsFile(p.file)} line ${p.line}: a JSON line needs "connection" (a URL or key=value string)`,
  targetsLineNameNotString: (p: {file?: string; line: number}) =>
    `${targetsFile(p.file)} line ${p.line}: "name" must be a string`,
  targetsEmpty: (p: {file?: string}) => `${targetsFile(p.file)} lists no target`,
  /**
   * The line (after "db-doctor: ") of the error a command ends with: a usage error (`known`: oclif's exit code, a
   * FIFO where a file was expected) points at the command's --help; anything else is db-doctor's own failure.
   */
  errorLine: (p: {message: string; known: boolean; command?: string}) =>
    p.known ? `${p.message} (see db-doctor ${p.command ? `${p.command} ` : ''}--help)` : `internal error: ${p.message}`,
})
