// `db-doctor check`: I/O only. Reads flags and the env file, calls the library
// (app/diagnose for one target, fleet/ for several), prints through the reporter
// registry and sets the exit code (see cli/base.ts).
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {checkFlags, DoctorCommand, type CheckFlags} from '../cli/base.js'
import type {RunReport} from '../core/types.js'

export default class Check_ extends DoctorCommand {
  static override summary = 'Diagnose why a PostgreSQL connection fails and say what to change.'

  static override description = `Reads the configuration your app reads (the CONNECTION argument, DATABASE_URL / POSTGRES_URL, the DB_*, DATABASE_* or SUPABASE_DB_* variables, PG* variables, ~/.pgpass, knexfile, schema.prisma) and runs the checks in order: configuration, name resolution, TCP, Docker networking (which explains a failure above), the PostgreSQL protocol, the TLS chain, SSL settings, authentication in a read-only session, then what the migration needs: the server's state (read-only, timeouts, free connections), the connection pooler, privileges and the migration state of the tool found (knex, Prisma, node-pg-migrate). Every warning and failure comes with its evidence and the exact fix.

Several targets in one run (several CONNECTIONs, --targets FILE, --all-envs) are checked concurrently and reported together: {"version":1,"tool","reports":[…each target's report with its "name"],"summary":{"targets","healthy","degraded","failing","verdict"}}.

Exit codes: 0 no check failed (warnings allowed unless --strict); 1 at least one check failed, in any target (including a broken connection string), or SIGTERM / SIGINT stopped the run (the checks that ended are reported); 2 db-doctor was used wrongly.`

  // Several CONNECTION arguments: non-strict, the base reads them from argv.
  static override strict = false

  static override args = {
    connection: Args.string({
      description:
        'postgres:// or postgresql:// URL, or a libpq key=value string ("host=db port=5432 sslmode=require"); several = several targets',
      required: false,
    }),
  }

  static override flags = {
    ...checkFlags,
    instances: Flags.integer({
      description:
        "How many processes of the app run with this configuration (replicas × workers): the server check compares their pools' connections with the free slots and CONNECTION LIMITs (default: the replicas of the Kubernetes manifests in the folder, else one).",
      min: 1,
      max: 100_000,
    }),
  }

  static override examples = [
    {
      description: 'Check what the app in this folder would connect to (.env, knexfile, schema.prisma…)',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Check a URL',
      command: "<%= config.bin %> <%= command.id %> 'postgres://app@db.example.com:5432/appdb?sslmode=verify-full'",
    },
    {
      description: 'CI preflight: JSON report, warnings fail the job',
      command: '<%= config.bin %> <%= command.id %> --json --strict',
    },
    {
      description: 'A report to paste into a ticket',
      command: '<%= config.bin %> <%= command.id %> --format markdown > db-doctor.md',
    },
    {
      description: 'Only the network path, 2 s per step',
      command: '<%= config.bin %> <%= command.id %> --only dns,tcp,postgres --timeout 2000',
    },
    {
      description: 'CI: text on the terminal, JUnit and Markdown files',
      command: '<%= config.bin %> <%= command.id %> --output junit=db-doctor.xml --output markdown=db-doctor.md',
    },
    {
      description: 'GitHub Actions: annotations, and the report in the step summary',
      command: '<%= config.bin %> <%= command.id %> --format github',
    },
    {description: 'Every environment of the knexfile', command: '<%= config.bin %> <%= command.id %> --all-envs'},
    {
      description: 'A fleet, 16 at a time, as JSON lines',
      command: '<%= config.bin %> <%= command.id %> --targets targets.txt --concurrency 16 --format jsonl',
    },
  ]

  public async run(): Promise<RunReport | {checks: {id: string; title: string}[]} | undefined> {
    const {argv, flags} = await this.parse(Check_)
    return this.doctor.check(argv, flags as CheckFlags)
  }
}
