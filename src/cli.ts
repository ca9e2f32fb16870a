// The `db-doctor` binary's runtime. scripts/bundle.mjs bundles it into dist/bundle/cli.js;
// bin/run.js imports it and calls main(), except for `--version` alone (-v, -V, version), which
// bin/run.js answers before loading anything. It loads oclif and the commands (commands.js, which
// oclif's "explicit" command discovery reads COMMANDS from) only to run a command. `check` with the arguments
// its fast path takes never gets here: bin/run.js runs it from dist/bundle/check.cjs (cli/check-main.ts), and
// calls main() only when that fast path left the arguments to oclif.
import {COMMAND_IDS, planArgv} from './cli/argv.js'
import {guardActionsOutput, isActionsContext} from './cli/actions.js'
import {installOutputRedaction} from './core/redact.js'

/** Run the CLI. `dir`: bin/run.js's import.meta.url (oclif finds package.json from it). */
export async function main(dir: string): Promise<void> {
  // Before anything can print, so no password reaches stdout or stderr.
  installOutputRedaction()
  // In GitHub Actions no line this process writes is a workflow command (--format github: from prepare()).
  if (isActionsContext()) guardActionsOutput()
  // help / version / -h / a mistyped command, before oclif (which exits 2 on all of them)
  const plan = planArgv(process.argv.slice(2), [...COMMAND_IDS, 'help', 'version'])
  if ('error' in plan) {
    const {usageSays} = await import('./catalogue/usage.js')
    process.stderr.write(`db-doctor: ${usageSays.unknownCommand(plan.error)}\n`)
    process.exitCode = 2
    return
  }
  // oclif is CommonJS: bundled, a dynamic import of it gives its exports as `default`.
  const oclif = await import('@oclif/core/execute')
  const execute = oclif.execute ?? (oclif as unknown as {default: typeof oclif}).default.execute
  await execute({dir, args: plan.args})
  ;(await import('./cli/finish.js')).exitWhenAbandoned()
}
