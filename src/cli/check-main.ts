// `db-doctor check` in one file: scripts/bundle.mjs bundles this entry without code splitting into
// dist/bundle/check.cjs, and bin/run.js runs it (through bin/load-check.js, with V8's code cache) when the
// first argument is `check`. The split runtime (cli.js) loads a check as about 45 chunks, and Node's ES
// module loader pays for each one (resolution, a read, linking): one file costs about a tenth less CPU per
// healthy check, its code cache more (docs/performance.md).
// When the fast path does not take the arguments (--help, a flag it leaves to oclif…), main() returns
// false having touched nothing, and bin/run.js runs cli.js as for any other command: this file's copies
// of the modules (the redaction registry among them) are then never used.
import {readFileSync} from 'node:fs'
import {COMMAND_IDS, planArgv} from './argv.js'
import {guardActionsOutput, isActionsContext} from './actions.js'
import {installOutputRedaction} from '../core/redact.js'
import {parseCheckArgv, runCheck} from './fast-check.js'
import {exitWhenAbandoned} from './finish.js'

/** Run `check` when its fast path takes the arguments; false (nothing done) otherwise. `dir`: bin/run.js's import.meta.url. */
export async function main(dir: string): Promise<boolean> {
  const plan = planArgv(process.argv.slice(2), [...COMMAND_IDS, 'help', 'version'])
  const args = 'args' in plan && plan.args[0] === 'check' ? parseCheckArgv(plan.args.slice(1), process.env) : undefined
  if (!args) return false
  // as cli.ts does, before anything can print
  installOutputRedaction()
  if (isActionsContext()) guardActionsOutput()
  const {version} = JSON.parse(readFileSync(new URL('../package.json', dir), 'utf8')) as {version: string}
  await runCheck(args, version)
  exitWhenAbandoned()
  return true
}
