// `db-doctor explain`, the library side: recognise every known error in pasted
// text (a message or a whole log) and say, for each, what db-doctor would say.
// Offline: no network, no configuration read. Pure: the command prints.
import {confirmCommand, type CatalogueEntry} from '../catalogue/index.js'
import {Scanner, type TextMatch} from '../catalogue/match.js'
import {hintConfirmCommand, hints, type Hint} from '../catalogue/hints.js'
import {catalogue, findEntry} from '../checks/catalogue.js'
import {CHECK_IDS} from '../checks/index.js'
import {normalise, unescapeLoose} from './normalise.js'
import {maskWindow} from '../core/redact.js'
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
  // a secret the window cuts through is masked whole (its tail, its head): see maskWindow
  const window = redactPasted(maskWindow(line, from, to, secrets), secrets)
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
    confirm: confirmCommand(e, CHECK_IDS),
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
    confirm: hintConfirmCommand(h, CHECK_IDS),
    transient: null,
    candidates: h.candidates,
  }
}

/** Texts longer than this are cut (the head is kept), as the command cuts stdin. */
const MAX_TEXT = 64 * 1024 * 1024

/**
 * Every known error in a text, in order of first appearance. Whole logs are normalised first
 * (src/explain/normalise.ts: ANSI colour, CRLF, Docker/Kubernetes prefixes, JSON-lines loggers);
 * the line numbers are those of the pasted text.
 */
export function explainText(pasted: string, tool: string): ExplainResult {
  const text = pasted.length > MAX_TEXT ? pasted.slice(0, MAX_TEXT) : pasted
  const {text: plain, origin} = normalise(text)
  // the lines matched are normalised (JSON escapes undone, once or twice): a secret found in the paste
  // is masked in those spellings too (`password => "a,\\"b"` is `a,"b` in the line the excerpt shows)
  const found = plain === text ? pastedSecrets(text) : pastedSecrets(text).flatMap((s) => unescapings(s))
  const secrets = [...new Set([...found, ...(plain === text ? [] : pastedSecrets(plain))])].sort(
    (a, b) => b.length - a.length,
  )
  const matches = getScanner()
    .scan(plain)
    .map((m) => {
      const at = {...m, line: origin[m.line - 1] ?? m.line}
      return at.item.kind === 'hint'
        ? fromHint(at.item, at, secrets)
        : fromEntry(at.item as CatalogueEntry, at, secrets)
    })
  return {version: 1, tool, matches}
}

/** A secret as written, and as the normaliser may show it (its JSON escapes undone once and twice). */
function unescapings(secret: string): string[] {
  if (!secret.includes('\\')) return [secret]
  const once = unescapeLoose(secret)
  return [secret, once, unescapeLoose(once)].filter((s) => s.length >= 3)
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
        confirm: confirmCommand(e, CHECK_IDS),
        transient: e.transient,
      },
    ],
  }
}

/** Looks like a code (UPPER_SNAKE with an underscore), not a message. */
export function looksLikeCode(text: string): boolean {
  return /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(text.trim())
}

export {hints} from '../catalogue/hints.js'
