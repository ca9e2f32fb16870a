// The one escaping module: text that came from the network or from app files (server
// error messages, SSLRequest replies, certificate fields, DNS answers, banner bytes, URLs)
// is shown inert. Reporters call these on every piece of report data they print; the data
// itself (the Report object, the JSON) is never altered. Also the helpers `explain` uses
// for pasted text (issue 10): escape after redacting.
//
// - Text: C0 controls (ESC, BEL, CR, LF in one-line fields…), DEL, C1 controls, Unicode line
//   and paragraph separators and bidirectional overrides are shown as \xNN / \uNNNN.
// - Markdown: the same, plus Markdown and HTML syntax escaped outside code spans, so that no
//   newline, backtick, `#`, `|`, `<script>` or `<img>` from the data changes the document.
// - JSON: JSON.stringify escapes C0 itself; C1, separators, bidi overrides and every other format
//   character (zero-width, tags…) are written as \u escapes too (the same string once parsed).
// - GitHub Actions: no line starts a workflow command (ActionsNeutraliser).

/**
 * Characters never printed raw: C0 (minus tab/newline, handled per context), DEL, C1, U+2028/9, and
 * every Unicode format character (general category Cf): the bidirectional controls (U+202A–U+202E,
 * U+2066–U+2069, U+200E/F, U+061C), zero-width ones (U+200B–U+200D, U+2060–U+2064, U+FEFF), the soft
 * hyphen, interlinear annotations and the invisible tag characters (U+E0000–U+E007F).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\p{Cf}]/gu
// eslint-disable-next-line no-control-regex
const UNSAFE_OR_NEWLINE = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\p{Cf}]/gu
/**
 * What JSON.stringify leaves raw of the above (it escapes C0 itself), and the `[` of a `##[` (the
 * legacy workflow-command form the Actions runner honours anywhere in a line).
 */
const JSON_UNSAFE = /[\u007F-\u009F\u2028\u2029\p{Cf}]|(?<=##)\[/gu

function visible(ch: string): string {
  const code = ch.codePointAt(0) ?? 0
  if (ch === '\n') return '\\n'
  if (ch === '\r') return '\\r'
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`
  if (code > 0xffff) return `\\u{${code.toString(16)}}`
  return `\\u${code.toString(16).padStart(4, '0')}`
}

/** One character as JSON \u escapes (a surrogate pair for one beyond the BMP): the same string once parsed. */
function jsonEscape(ch: string): string {
  let out = ''
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`
  return out
}

/**
 * One line of text for a terminal: every control character (newlines too) shown as an escape.
 * Not redacted here: report values are masked by structure before any reporter runs (core/redact.ts
 * redactReport), and free text is redacted by its caller before it is escaped.
 */
export function inertLine(text: string): string {
  return String(text).replace(UNSAFE_OR_NEWLINE, visible).replace(/\t/g, '\\t')
}

/**
 * The headline of an error for one stderr line: its first two non-empty lines, trimmed and joined
 * with ": " (oclif's own errors add a "See more help with --help" line, which is dropped). Not
 * escaped or redacted here: the caller does both.
 */
export function errorHeadline(error: unknown): string {
  const message = error instanceof Error ? error.message || String(error) : String(error)
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('See more help'))
    .slice(0, 2)
    .join(': ')
}

/** Multi-line text for a terminal (snippets): newlines and tabs kept, every other control escaped. */
export function inertBlock(text: string): string {
  return String(text).replace(UNSAFE, visible)
}

// ---------------------------------------------------------------------------
// Markdown

/**
 * Outside code spans: backslash-escape what can start syntax (CommonMark allows a backslash
 * before any ASCII punctuation). Always: \\ ` * < > & | ~ [ ] (HTML, entities, code, emphasis,
 * tables, strikethrough, links and images). `_` only at a word boundary (intraword `_` never
 * emphasises, and DATABASE_URL stays readable); `#`, `-`, `+`, `=`, `1.` only where a line starts.
 */
function mdEscapePlain(text: string, lineStart: boolean): string {
  let out = text
    .replace(/[\\`*<>&|~[\]]/g, (c) => `\\${c}`)
    .replace(/_/g, (c, i: number, all: string) =>
      /[A-Za-z0-9]/.test(all[i - 1] ?? '') && /[A-Za-z0-9_]/.test(all[i + 1] ?? '') ? c : `\\${c}`,
    )
  if (lineStart) out = out.replace(/^(\s*)([-+=#])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2')
  return out
}

/**
 * One line of Markdown text (a paragraph, a list item, a table cell): controls and newlines
 * escaped, and Markdown/HTML syntax escaped except inside simple `code spans`, which our own
 * summaries use and which CommonMark shows literally (no HTML, no emphasis inside). Backticks
 * that do not pair up into such a span are escaped, so data cannot open or close one.
 * `cell`: also `|` inside code spans (GFM splits table cells on it before anything else).
 */
export function mdInline(text: string, opts: {cell?: boolean} = {}): string {
  const line = inertLine(text)
  const out: string[] = []
  let last = 0
  for (const m of line.matchAll(/`([^`]+)`/g)) {
    const start = m.index ?? 0
    out.push(mdEscapePlain(line.slice(last, start), last === 0))
    out.push('`' + (opts.cell ? m[1].replace(/\|/g, '\\|') : m[1]) + '`')
    last = start + m[0].length
  }
  out.push(mdEscapePlain(line.slice(last), last === 0))
  return out.join('')
}

/** A table cell: see mdInline. */
export function mdCell(text: string): string {
  return mdInline(text, {cell: true})
}

/** Inline code holding arbitrary data: a backtick fence longer than any run inside it. */
export function mdCode(text: string): string {
  const line = inertLine(text)
  const longest = Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  const pad = line.startsWith('`') || line.endsWith('`') || /^ .* $/.test(line) ? ' ' : ''
  return `${fence}${pad}${line}${pad}${fence}`
}

/** A fenced code block holding arbitrary multi-line data: a fence longer than any backtick run inside. */
export function mdFence(code: string, language = ''): string {
  const body = inertBlock(code)
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${inertLine(language).replace(/[`\s]/g, '')}\n${body}\n${fence}`
}

// ---------------------------------------------------------------------------
// JSON

/** Serialized JSON with the characters a terminal, a viewer or the Actions runner could act on written as \u escapes. */
export function jsonInert(serialized: string): string {
  return serialized.replace(JSON_UNSAFE, jsonEscape)
}

// ---------------------------------------------------------------------------
// GitHub Actions

/**
 * Neutralises workflow commands in text written where the Actions runner reads it: the runner trims
 * a line and runs it as a command when it starts with `::`, and it honours the legacy `##[` form
 * anywhere in a line. A backslash goes in between (`:\:error::`, `##\[command]`): the text stays
 * readable and is no longer a command. Stateful, so that a stream of chunks split anywhere (even
 * between the two colons) comes out the same as the whole text; linear in the input.
 */
export class ActionsNeutraliser {
  /** Only blanks so far on the current line. */
  private blank = true
  /** The line so far is blanks and one ':'. */
  private colon = false
  /** Trailing '#' characters on the current line (0–2). */
  private hashes = 0

  push(text: string): string {
    let out = ''
    let from = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      let insert = false
      if (c === 0x3a /* : */) {
        if (this.colon) insert = true
        this.colon = this.blank && !this.colon
        this.blank = false
        this.hashes = 0
      } else if (c === 0x5b /* [ */) {
        if (this.hashes >= 2) insert = true
        this.blank = this.colon = false
        this.hashes = 0
      } else if (c === 0x23 /* # */) {
        this.hashes = Math.min(2, this.hashes + 1)
        this.blank = this.colon = false
      } else if (c === 0x0a || c === 0x0d) {
        this.blank = true
        this.colon = false
        this.hashes = 0
      } else if (c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c) {
        this.colon = false
        this.hashes = 0
      } else {
        this.blank = this.colon = false
        this.hashes = 0
      }
      if (insert) {
        out += text.slice(from, i) + '\\'
        from = i
      }
    }
    return from === 0 ? text : out + text.slice(from)
  }
}

/** A whole text for the Actions runner: no line is a workflow command (see ActionsNeutraliser). */
export function actionsInert(text: string): string {
  return new ActionsNeutraliser().push(text)
}
