// `db-doctor explain [TEXT]`: I/O only. Reads the text (argument or stdin), calls
// the explain library, prints through a renderer and sets the exit code.
// Offline: no network, no configuration or env file read.
import * as Args from '@oclif/core/args'
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {redactor} from '../core/redact.js'
import {explainCode, explainText, looksLikeCode, type ExplainResult} from '../explain/index.js'
import {outputWidth} from '../reporters/wrap.js'

/** Bigger pastes are cut (the head is kept): a log this size is already unusual. */
const MAX_INPUT = 64 * 1024 * 1024

export default class Explain extends Command {
  static override summary = 'Explain a pasted error message or log: which db-doctor code it is, why, and the fix.'

  static override description = `Finds every known PostgreSQL connection error in TEXT (or in the text on stdin): Node, node-postgres, knex, node-pg-migrate, Prisma, libpq/psql, PgBouncer, Supavisor and cloud-provider wordings, whole stack traces and CI or kubectl logs. For each: the db-doctor code, what it means, the likely causes in order, the fix, and the db-doctor check line that confirms it. With a code (TLS_SELF_SIGNED_CHAIN) it prints that code's entry.

Offline: nothing is sent anywhere and no configuration is read. Passwords in the pasted text (URLs, password=…, PGPASSWORD=…, Authorization headers) are masked before anything is printed.

Exit codes: 0 at least one known error recognised (or the code exists); 1 none recognised; 2 db-doctor was used wrongly.`

  static override enableJsonFlag = true

  static override args = {
    // ignoreStdin: oclif would otherwise read stdin for a missing argument with a 10 ms timeout,
    // keeping whatever part of a big log arrived by then. explain reads all of stdin itself.
    text: Args.string({description: 'the error message, log excerpt or code (default: read stdin)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    format: Flags.option({char: 'f', description: 'Output format.', options: ['text', 'json', 'markdown'] as const, default: 'text'})(),
  }

  static override examples = [
    {description: 'Explain one message', command: `<%= config.bin %> <%= command.id %> 'self-signed certificate in certificate chain'`},
    {description: 'Explain a whole CI log', command: '<%= config.bin %> <%= command.id %> < ci.log'},
    {description: 'From a pod', command: 'kubectl logs job/migrate | <%= config.bin %> <%= command.id %> --format markdown'},
    {description: "A code's entry", command: '<%= config.bin %> <%= command.id %> TCP_IPV6_FAILED'},
  ]

  public async run(): Promise<ExplainResult> {
    const {args, flags} = await this.parse(Explain)
    const tool = `db-doctor@${this.config.version}`
    let text = args.text
    if (text === undefined) {
      if (process.stdin.isTTY) this.error('Give the error text as an argument, or pipe it on stdin (db-doctor explain < ci.log).', {exit: 2})
      text = await readStdin()
    }
    let result: ExplainResult
    let entryOnly = false
    if (looksLikeCode(text)) {
      const byCode = explainCode(text.trim(), tool)
      if (byCode) {
        result = byCode
        entryOnly = true
      } else result = explainText(text, tool)
    } else result = explainText(text, tool)

    if (result.matches.length === 0) process.exitCode = 1
    if (this.jsonEnabled()) return result
    const format = flags.format
    const {renderExplainJson, renderExplainMarkdown, renderExplainText} = await import('../explain/render.js')
    if (format === 'json') this.log(renderExplainJson(result))
    else if (format === 'markdown') this.log(renderExplainMarkdown(result, {entryOnly}))
    else this.log(renderExplainText(result, {width: outputWidth(process.stdout), entryOnly}))
    return result
  }

  // One clear line, no stack trace, no password.
  protected override async catch(error: Error & {oclif?: {exit?: number | false}}): Promise<unknown> {
    const exit = error.oclif?.exit
    if (exit === 0) return super.catch(error)
    const first = (error.message || String(error)).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('See more help')).slice(0, 2).join(': ')
    const known = exit !== undefined && exit !== false
    process.stderr.write(redactor.redact(`db-doctor: ${known ? first : `internal error: ${first}`}${known ? ' (see db-doctor explain --help)' : ''}`) + '\n')
    process.exitCode = known && typeof exit === 'number' ? exit : 2
    return undefined
  }

  protected override toSuccessJson(result: unknown): unknown {
    return result
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer
    if (size + b.length > MAX_INPUT) {
      chunks.push(b.subarray(0, MAX_INPUT - size))
      break
    }
    chunks.push(b)
    size += b.length
  }
  return Buffer.concat(chunks).toString('utf8')
}
