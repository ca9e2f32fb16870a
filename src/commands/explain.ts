// `db-doctor explain [TEXT]`: I/O only. Reads the text (argument or stdin), calls
// the explain library, prints through a renderer and sets the exit code.
// Offline: no network, no configuration or env file read.
import * as Args from '@oclif/core/args'
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {errorHeadline, inertLine, jsonInert} from '../core/escape.js'
import {redactor, unredacted} from '../core/redact.js'
import type {ExplainResult} from '../explain/index.js'
import {outputWidth} from '../reporters/wrap.js'

/** Bigger pastes are cut (the head is kept): a log this size is already unusual. */
const MAX_INPUT = 64 * 1024 * 1024

export default class Explain extends Command {
  static override summary = 'Explain a pasted error message or log: which db-doctor code it is, why, and the fix.'

  static override description = `Finds every known PostgreSQL connection error in TEXT (or in the text on stdin): Node, node-postgres, postgres.js, knex, node-pg-migrate, Prisma 6 and 7, TypeORM, Sequelize, drizzle-kit, libpq/psql, PostgreSQL, PgBouncer, Supavisor and cloud-provider wordings, in whole stack traces and CI, Docker, kubectl or JSON (pino) logs. For each: the db-doctor code, what it means, the likely causes in order, the fix, and the db-doctor check line that confirms it. With a code (TLS_SELF_SIGNED_CHAIN) it prints that code's entry.

Offline: nothing is sent anywhere and no configuration is read. Passwords in the pasted text (URLs, password=…, PGPASSWORD=…, Authorization headers) are masked before anything is printed.

Exit codes: 0 at least one known error recognised (or the code exists); 1 none recognised; 2 db-doctor was used wrongly.`

  static override enableJsonFlag = true

  static override args = {
    // ignoreStdin: oclif would otherwise read stdin for a missing argument with a 10 ms timeout,
    // keeping whatever part of a big log arrived by then. explain reads all of stdin itself.
    text: Args.string({
      description: 'the error message, log excerpt or code (default: read stdin)',
      required: false,
      ignoreStdin: true,
    }),
  }

  static override flags = {
    format: Flags.option({
      char: 'f',
      description: 'Output format.',
      options: ['text', 'json', 'markdown'] as const,
      default: 'text',
    })(),
    width: Flags.integer({
      description: 'Wrap the text to this many columns (default: the terminal, else $COLUMNS, else 160).',
      min: 20,
      max: 1000,
    }),
  }

  static override examples = [
    {
      description: 'Explain one message',
      command: `<%= config.bin %> <%= command.id %> 'self-signed certificate in certificate chain'`,
    },
    {description: 'Explain a whole CI log', command: '<%= config.bin %> <%= command.id %> < ci.log'},
    {
      description: 'From a pod',
      command: 'kubectl logs job/migrate | <%= config.bin %> <%= command.id %> --format markdown',
    },
    {description: "A code's entry", command: '<%= config.bin %> <%= command.id %> TCP_IPV6_FAILED'},
  ]

  public async run(): Promise<ExplainResult> {
    const {args, flags} = await this.parse(Explain)
    const tool = `db-doctor@${this.config.version}`
    let text = args.text
    if (text === undefined) {
      if (process.stdin.isTTY) {
        // the catalogue loads with the command's run, not with --help (test/cli.test.ts)
        const {explainSays} = await import('../catalogue/explain.js')
        this.error(explainSays.noText(), {exit: 2})
      }
      text = await readStdin()
    }
    // The explain library (the catalogue and its matchers) loads here: `explain --help` needs none of it.
    const {explainCode, explainText, looksLikeCode} = await import('../explain/index.js')
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
    // The excerpts (the only pasted text shown) are redacted already: written past the output
    // redaction, which would re-mask the serialized text.
    const out = (text: string) => unredacted(() => this.log(text))
    if (format === 'json') out(renderExplainJson(result))
    else if (format === 'markdown') out(renderExplainMarkdown(result, {entryOnly}))
    else out(renderExplainText(result, {width: outputWidth(process.stdout, process.env, flags.width), entryOnly}))
    return result
  }

  // One clear line, no stack trace, no password.
  protected override async catch(error: Error & {oclif?: {exit?: number | false}}): Promise<unknown> {
    const exit = error.oclif?.exit
    if (exit === 0) return super.catch(error)
    const first = errorHeadline(error)
    const known = exit !== undefined && exit !== false
    const {usageSays} = await import('../catalogue/usage.js')
    const line = usageSays.errorLine({message: first, known, command: 'explain'})
    process.stderr.write(inertLine(redactor.redact(`db-doctor: ${line}`)) + '\n')
    process.exitCode = known && typeof exit === 'number' ? exit : 2
    return undefined
  }

  protected override toSuccessJson(result: unknown): unknown {
    return result
  }

  /** --json: excerpts are redacted already; written past the output redaction, which would re-mask the serialized text. */
  protected override logJson(json: unknown): void {
    unredacted(() => process.stdout.write(jsonInert(JSON.stringify(json, null, 2)) + '\n'))
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
