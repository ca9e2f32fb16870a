// `db-doctor explain`, the library side: recognise every known error in pasted
// text (a message or a whole log) and say, for each, what db-doctor would say.
// Offline: no network, no configuration read. Pure: the command prints.
import {catalogue, confirmCommand, findEntry, type CatalogueEntry} from '../catalogue/index.js'
import {Scanner, type TextMatch} from '../catalogue/match.js'
import {hints, type Hint} from './hints.js'
import {inert, pastedSecrets, redactPasted} from './redact.js'

export interface ExplainMatch {
  /** The report code, or null for a wording that hides its cause (see `candidates`). */
  code: string | null
  /** The check that finds it (null for a hint). */
  check: string | null
  title: string
  /** Where it was found: redacted, control characters escaped, bounded. */
  excerpt: string
  /** 1-based line of the first occurrence, and how many lines show it. */
  line: number
  occurrences: number
  meaning: string
  causes: string[]
  fix: string
  /** The exact command that confirms it against the real database. */
  confirm: string
  /** Can waiting fix it? (null for a hint) */
  transient: boolean | null
  /** For a hint: the codes that can be behind it, most likely first. */
  candidates?: string[]
}

export interface ExplainResult {
  version: 1
  tool: string
  matches: ExplainMatch[]
}

type Item = (CatalogueEntry & {kind?: undefined}) | (Hint & {kind: 'hint'; code?: undefined})

let scanner: Scanner<Item> | undefined

function getScanner(): Scanner<Item> {
  scanner ??= new Scanner<Item>([...catalogue, ...hints.map((h) => ({...h, kind: 'hint' as const}))])
  return scanner
}

const EXCERPT_BEFORE = 60
const EXCERPT_AFTER = 200

function excerptOf(m: TextMatch<Item>, secrets: readonly string[]): string {
  const line = m.text
  const from = Math.max(0, m.index - EXCERPT_BEFORE)
  const to = Math.min(line.length, m.index + EXCERPT_AFTER)
  // redact the whole line first so that a secret cut by the window is still masked
  const cut = redactPasted(line.slice(Math.max(0, from - 200), Math.min(line.length, to + 200)), secrets)
  const offset = from - Math.max(0, from - 200)
  const window = cut.slice(offset, offset + (to - from))
  return `${from > 0 ? '…' : ''}${inert(window.trim())}${to < line.length ? '…' : ''}`
}

function fromEntry(e: CatalogueEntry, m: TextMatch<Item>, secrets: readonly string[]): ExplainMatch {
  return {
    code: e.code,
    check: e.check,
    title: e.title,
    excerpt: excerptOf(m, secrets),
    line: m.line,
    occurrences: m.count,
    meaning: e.meaning,
    causes: e.causes,
    fix: e.fixText,
    confirm: confirmCommand(e),
    transient: e.transient,
  }
}

function fromHint(h: Hint, m: TextMatch<Item>, secrets: readonly string[]): ExplainMatch {
  return {
    code: null,
    check: null,
    title: h.title,
    excerpt: excerptOf(m, secrets),
    line: m.line,
    occurrences: m.count,
    meaning: h.meaning,
    causes: h.causes,
    fix: h.fix,
    confirm: h.checks.length >= 8 ? 'db-doctor check' : `db-doctor check --only ${h.checks.join(',')}`,
    transient: null,
    candidates: h.candidates,
  }
}

/** Every known error in a text, in order of first appearance. */
export function explainText(text: string, tool: string): ExplainResult {
  const secrets = pastedSecrets(text)
  const matches = getScanner()
    .scan(text)
    .map((m) => (m.item.kind === 'hint' ? fromHint(m.item, m, secrets) : fromEntry(m.item as CatalogueEntry, m, secrets)))
  return {version: 1, tool, matches}
}

/** One code's entry, as a match without an excerpt; undefined for an unknown code. */
export function explainCode(code: string, tool: string): ExplainResult | undefined {
  const e = findEntry(code)
  if (!e) return undefined
  return {
    version: 1,
    tool,
    matches: [
      {
        code: e.code,
        check: e.check,
        title: e.title,
        excerpt: '',
        line: 0,
        occurrences: 0,
        meaning: e.meaning,
        causes: e.causes,
        fix: e.fixText,
        confirm: confirmCommand(e),
        transient: e.transient,
      },
    ],
  }
}

/** Looks like a code (UPPER_SNAKE with an underscore), not a message. */
export function looksLikeCode(text: string): boolean {
  return /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(text.trim())
}

export {hints} from './hints.js'
