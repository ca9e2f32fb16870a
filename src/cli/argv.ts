// What oclif users expect before oclif sees the arguments: `help [COMMAND]`, `version`,
// `-v`/`-V` as --version, `-h` as --help, and "did you mean …?" for a mistyped command. Pure: returns the argv
// to run, or what was mistyped (the caller prints it as a usage error, exit 2: src/catalogue/usage.ts words it).

import {closest} from '../core/spelling.js'

/** The command ids (src/commands/index.ts has the classes: loaded only when a command runs). */
export const COMMAND_IDS: readonly string[] = ['check', 'demo', 'explain', 'serve', 'wait']

/** A command that does not exist: typed first (via 'argv') or after `help`, the closest one, every one. */
interface UnknownCommand {
  command: string
  suggestion?: string
  commands: readonly string[]
  via: 'argv' | 'help'
}

type ArgvPlan = {args: string[]} | {error: UnknownCommand}

function unknownCommand(
  command: string,
  commands: readonly string[],
  via: UnknownCommand['via'],
): {error: UnknownCommand} {
  const suggestion = suggest(command, commands)
  return {error: {command, ...(suggestion ? {suggestion} : {}), commands, via}}
}

/** The closest command id to a typo, when it is close enough to be meant. */
export function suggest(word: string, commands: readonly string[]): string | undefined {
  return closest(word, commands, true)
}

export function planArgv(argv: readonly string[], commands: readonly string[]): ArgvPlan {
  const args = [...argv]
  // -h is --help, up to a `--` that ends the flags
  const end = args.indexOf('--')
  for (let i = 0; i < (end < 0 ? args.length : end); i++) if (args[i] === '-h') args[i] = '--help'
  const first = args[0]
  // -v / -V alone, as most CLIs take them (inside a command, -v is --verbose)
  if (first === '-v' || first === '-V') return {args: ['--version', ...args.slice(1)]}
  if (first === undefined || first.startsWith('-')) return {args}
  if (first === 'help') {
    const rest = args.slice(1)
    const target = rest.find((a) => !a.startsWith('-'))
    if (target && !commands.includes(target)) return unknownCommand(target, commands, 'help')
    return {args: [...(target ? [target] : []), '--help']}
  }
  if (first === 'version') return {args: ['--version']}
  if (commands.includes(first)) return {args}
  return unknownCommand(first, commands, 'argv')
}
