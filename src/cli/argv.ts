// What oclif users expect before oclif sees the arguments: `help [COMMAND]`, `version`,
// `-h` as --help, and "did you mean …?" for a mistyped command. Pure: returns the argv
// to run, or a usage error line (exit 2).

type ArgvPlan = {args: string[]} | {error: string}

/** Edit distance with adjacent swaps counted as one edit. */
function distance(a: string, b: string): number {
  const d = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      // a swap of two neighbours is one typo (Damerau)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}

/** The closest command id to a typo, when it is close enough to be meant. */
export function suggest(word: string, commands: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  let best: {id: string; d: number} | undefined
  for (const id of commands) {
    const d = w.length > 1 && id.startsWith(w) ? 0.5 : distance(w, id)
    if (!best || d < best.d) best = {id, d}
  }
  return best && best.d <= Math.max(1, Math.floor(best.id.length / 3)) ? best.id : undefined
}

export function planArgv(argv: readonly string[], commands: readonly string[]): ArgvPlan {
  const args = [...argv]
  // -h is --help, up to a `--` that ends the flags
  const end = args.indexOf('--')
  for (let i = 0; i < (end < 0 ? args.length : end); i++) if (args[i] === '-h') args[i] = '--help'
  const first = args[0]
  if (first === undefined || first.startsWith('-')) return {args}
  if (first === 'help') {
    const rest = args.slice(1)
    const target = rest.find((a) => !a.startsWith('-'))
    if (target && !commands.includes(target)) {
      const s = suggest(target, commands)
      return {error: `command ${JSON.stringify(target)} not found.${s ? ` Did you mean ${s}?` : ''} Commands: ${commands.join(', ')}.`}
    }
    return {args: [...(target ? [target] : []), '--help']}
  }
  if (first === 'version') return {args: ['--version']}
  if (commands.includes(first)) return {args}
  const s = suggest(first, commands)
  return {error: `command ${JSON.stringify(first)} not found.${s ? ` Did you mean ${s}?` : ''} Commands: ${commands.join(', ')} (db-doctor --help).`}
}
