// stdout is exactly the report. App files db-doctor runs (a knexfile, prisma.config.ts) are user
// code that may print: console.log(config), console.error(err), dotenv 17's "injected env (N) from
// .env". They run in a child process (app-code.ts) whose stdout and stderr are captured; after
// configuration is resolved (every secret registered) the text goes to stderr, each line prefixed
// with the file that printed it, redacted and made inert (core/redact.ts, core/escape.ts).
import {redact} from '../core/redact.js'
import {inertLine} from '../core/escape.js'

interface Captured {
  label: string
  text: string
}

let captured: Captured[] = []

/** Keep what the app file `label` printed (stdout and stderr), to show after resolution. */
export function addCapturedOutput(label: string, text: string): void {
  captured.push({label, text})
}

/** A position in the captured output (to drop what a modelling pass printed). */
export function capturedMark(): number {
  return captured.length
}

export function dropCapturedSince(mark: number): void {
  captured = captured.slice(0, mark)
}

/** Write what app files printed to stderr (redacted by the output layer), then forget it. */
export function flushCapturedOutput(): void {
  const byLabel = new Map<string, string>()
  for (const c of captured) byLabel.set(c.label, (byLabel.get(c.label) ?? '') + c.text)
  captured = []
  // Bounded: a file that prints megabytes does not flood the terminal.
  const LIMIT = 8192
  for (const [label, text] of byLabel) {
    const shown = text.length > LIMIT ? `${text.slice(0, LIMIT)}\n… (${text.length - LIMIT} more characters)` : text
    const lines = redact(shown).replace(/\n$/, '').split('\n')
    process.stderr.write(lines.map((l) => inertLine(`[${label}] ${l}`)).join('\n') + '\n')
  }
}
