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
// - JSON: JSON.stringify escapes C0 itself; C1, separators and bidi overrides are written as
//   \u escapes too (the same string once parsed).

import {redact} from '../core/redact.js'

/** Characters never printed raw: C0 (minus tab/newline, handled per context), DEL, C1, U+2028/9, bidi controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g
// eslint-disable-next-line no-control-regex
const UNSAFE_OR_NEWLINE = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g

function visible(ch: string): string {
  const code = ch.charCodeAt(0)
  if (ch === '\n') return '\\n'
  if (ch === '\r') return '\\r'
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`
  return `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * One line of text for a terminal: every control character (newlines too) shown as an escape.
 * Redacted first: once escaped, a password holding a tab or a quote would no longer match its
 * registered spelling in the final redaction pass.
 */
export function inertLine(text: string): string {
  return redact(String(text)).replace(UNSAFE_OR_NEWLINE, visible).replace(/\t/g, '\\t')
}

/** Multi-line text for a terminal (snippets): newlines and tabs kept, every other control escaped. Redacted first. */
export function inertBlock(text: string): string {
  return redact(String(text)).replace(UNSAFE, visible)
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
    .replace(/_/g, (c, i: number, all: string) => (/[A-Za-z0-9]/.test(all[i - 1] ?? '') && /[A-Za-z0-9_]/.test(all[i + 1] ?? '') ? c : `\\${c}`))
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

/** Serialized JSON with the characters a terminal or a viewer could act on written as \u escapes. */
export function jsonInert(serialized: string): string {
  return serialized.replace(/[\u007F-\u009F\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
