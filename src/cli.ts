// The `db-doctor` binary's runtime. scripts/bundle.mjs bundles this file, oclif and our code
// into dist/bundle/ (oclif's "explicit" command discovery reads COMMANDS from it), so a run
// loads a few files instead of some 150 modules. bin/run.js only imports it and calls main().
import {execute} from '@oclif/core/execute'
import {planArgv} from './cli/argv.js'
import {isExitRequested} from './cli/base.js'
import Check from './commands/check.js'
import Explain from './commands/explain.js'
import Wait from './commands/wait.js'
import {installOutputRedaction} from './core/redact.js'
import {pendingSystemLookups} from './probes/dns.js'

/** Every command of the CLI, by id: package.json "oclif.commands" points here. */
export const COMMANDS = {check: Check, explain: Explain, wait: Wait}

/** Run the CLI. `dir`: bin/run.js's import.meta.url (oclif finds package.json from it). */
export async function main(dir: string): Promise<void> {
  // Before anything can print, so no password reaches stdout or stderr.
  installOutputRedaction()
  // help / version / -h / a mistyped command, before oclif (which exits 2 on all of them)
  const plan = planArgv(process.argv.slice(2), [...Object.keys(COMMANDS), 'help', 'version'])
  if ('error' in plan) {
    process.stderr.write(`db-doctor: ${plan.error}\n`)
    process.exitCode = 2
    return
  }
  await execute({dir, args: plan.args})
  // A DNS lookup that outlived its budget (a silent nameserver) would keep Node alive for
  // attempts × timeout per nameserver after the report is out: don't wait for it.
  // `wait` asks for the same when an attempt was cut short by its deadline or a signal.
  if (pendingSystemLookups() > 0 || isExitRequested()) process.stdout.write('', () => process.stderr.write('', () => process.exit()))
}
