// GitHub Actions context (issue 17 item 4): the runner reads every line a step writes to stdout
// and stderr, and runs as a workflow command any line that starts with `::` after blanks, and any
// `##[…]` anywhere in a line. In an Actions context (GITHUB_ACTIONS=true, or --format github) every
// write of this process passes through one ActionsNeutraliser per stream: the report, `wait`'s
// per-attempt lines, errors, an app's captured output, oclif's own messages. Only the github
// reporter's own annotations (`::error title=…::…`, built from neutralised text) are written as
// they are, through writeTrusted().
import {StringDecoder} from 'node:string_decoder'
import {ActionsNeutraliser} from '../core/escape.js'

type Name = 'stdout' | 'stderr'

const trusted: Partial<Record<Name, (text: string) => void>> = {}

/** GITHUB_ACTIONS=true (the runner sets it), or output meant for it. */
export function isActionsContext(format?: string): boolean {
  return process.env.GITHUB_ACTIONS === 'true' || format === 'github'
}

/** From now on, no line written to stdout or stderr is a workflow command. Idempotent. */
export function guardActionsOutput(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    if (trusted[name]) continue
    const stream = process[name]
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean
    const neutraliser = new ActionsNeutraliser()
    const decoder = new StringDecoder('utf8')
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text =
        typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? decoder.write(Buffer.from(chunk)) : chunk
      if (typeof text !== 'string') return original(chunk, ...rest)
      // encoding arguments refer to the chunk we replaced: the text is a string now
      const args = typeof rest[0] === 'string' ? rest.slice(1) : rest
      return original(neutraliser.push(text), ...args)
    }) as typeof stream.write
    trusted[name] = (text) => {
      neutraliser.push(text) // keeps the line state: what follows starts where this text ended
      original(text)
    }
  }
}

/** Text this process built as workflow commands on purpose (the github reporter's output). */
export function writeTrusted(name: Name, text: string): void {
  const write = trusted[name]
  if (write) write(text)
  else process[name].write(text)
}
