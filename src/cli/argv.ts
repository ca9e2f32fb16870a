// What oclif users expect before oclif sees the arguments: `help [COMMAND]`, `version`,
// `-v`/`-V` as --version, `-h` as --help, and "did you mean …?" for a mistyped command. Pure: returns the argv
// to run, or a usage error line (exit 2).

import {closest} from '../core/spelling.js'

/** The command ids (src/commands/index.ts has the classes: loaded only when a command runs). */
export const COMMAND_IDS: readonly string[] = ['check', 'demo', 'explain', 'serve', 'wait']

type ArgvPlan = {args: string[]} | {error: string}

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
    if (target && !commands.includes(target)) {
      const s = suggest(target, commands)
      return {
        error: `command ${JSON.stringify(target)} not found.${s ? ` Did you mean ${s}?` : ''} Commands: ${commands.join(', ')}.`,
      }
    }
    return {args: [...(target ? [target] : []), '--help']}
  }
  if (first === 'version') return {args: ['--version']}
  if (commands.includes(first)) return {args}
  const s = suggest(first, commands)
  return {
    error: `command ${JSON.stringify(first)} not found.${s ? ` Did you mean ${s}?` : ''} Commands: ${commands.join(', ')} (db-doctor --help).`,
  }
}
