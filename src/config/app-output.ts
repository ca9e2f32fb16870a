// stdout is exactly the report. App files db-doctor loads (a knexfile, prisma.config.ts) are
// user code that may print: console.log(config), dotenv 17's "injected env (N) from .env" (it
// logs on stdout unless quiet: true). While such a file loads, writes to stdout are captured
// instead; after configuration is resolved (every secret registered) they go to stderr, each
// line prefixed with the file that printed it, through the output redaction of core/redact.ts.
// (Loading app files in a child process would only move this guard there.)

interface Captured {
  label: string
  text: string
}

let captured: Captured[] = []

/** Run `fn` (which loads `label`) with stdout writes captured. */
export async function capturingStdout<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const stdout = process.stdout
  const original = stdout.write
  stdout.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk)
    captured.push({label, text})
    const cb = typeof encoding === 'function' ? encoding : callback
    if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)())
    return true
  }) as typeof stdout.write
  try {
    return await fn()
  } finally {
    stdout.write = original
  }
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
    const lines = shown.replace(/\n$/, '').split('\n')
    process.stderr.write(lines.map((l) => `[${label}] ${l}`).join('\n') + '\n')
  }
}
