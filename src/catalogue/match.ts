// Recognising catalogue entries in pasted text (a message, a stack trace, a whole
// CI log). A linear scan: one combined literal prefilter finds candidate lines,
// and only those lines are tried against each entry's matchers. Every matcher is
// a literal or a regex guarded by a literal needle, so the work stays linear in
// the size of the text however hostile it is.
import {catalogue} from './index.js'
import type {CatalogueEntry} from './types.js'

interface Compiled {
  entry: CatalogueEntry
  /** lower-case literal the line must contain */
  needle: string
  /** the case-sensitive literal for a code matcher (word-bounded) */
  exact?: string
  re?: RegExp
  /** word boundaries required around a literal */
  bounded?: {start: boolean; end: boolean}
}

const ALNUM = /[A-Za-z0-9]/

function compile(): Compiled[] {
  const out: Compiled[] = []
  for (const entry of catalogue) {
    out.push({entry, needle: entry.code.toLowerCase(), exact: entry.code})
    for (const m of entry.matchers) {
      if (typeof m === 'string') {
        out.push({entry, needle: m.toLowerCase(), bounded: {start: ALNUM.test(m[0]!), end: ALNUM.test(m.at(-1)!)}})
      } else {
        const flags = m.re.flags.replace(/[gy]/g, '')
        out.push({entry, needle: m.needle.toLowerCase(), re: new RegExp(m.re.source, flags)})
      }
    }
  }
  return out
}

let compiled: Compiled[] | undefined
let prefilter: RegExp | undefined

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function setup(): {compiled: Compiled[]; prefilter: RegExp} {
  if (!compiled || !prefilter) {
    compiled = compile()
    const needles = [...new Set(compiled.map((c) => c.needle))].sort((a, b) => b.length - a.length)
    prefilter = new RegExp(needles.map(escapeRe).join('|'), 'gi')
  }
  return {compiled, prefilter}
}

function boundedIncludes(hay: string, needle: string, b: {start: boolean; end: boolean}): boolean {
  let from = 0
  for (;;) {
    const i = hay.indexOf(needle, from)
    if (i < 0) return false
    const before = i === 0 ? '' : hay[i - 1]!
    const after = hay[i + needle.length] ?? ''
    if ((!b.start || !ALNUM.test(before)) && (!b.end || !ALNUM.test(after))) return true
    from = i + 1
  }
}

/** The entries one line (or one message) shows, in catalogue order. */
export function matchLine(line: string): CatalogueEntry[] {
  const {compiled} = setup()
  const lower = line.toLowerCase()
  const found = new Set<CatalogueEntry>()
  for (const c of compiled) {
    if (found.has(c.entry) || !lower.includes(c.needle)) continue
    if (c.exact) {
      if (boundedIncludes(line, c.exact, {start: true, end: true}) && !line.includes(`${c.exact}_`)) found.add(c.entry)
    } else if (c.re) {
      if (c.re.test(line)) found.add(c.entry)
    } else if (boundedIncludes(lower, c.needle, c.bounded!)) found.add(c.entry)
  }
  return [...found]
}

export interface TextMatch {
  entry: CatalogueEntry
  /** 1-based line number of the first occurrence */
  line: number
  /** the first line it was found on, as pasted (not yet redacted or escaped) */
  text: string
  /** how many lines show it */
  count: number
}

/** Every entry found in a text, in order of first appearance. */
export function scanText(text: string): TextMatch[] {
  const {prefilter} = setup()
  const results = new Map<string, TextMatch>()
  prefilter.lastIndex = 0
  let lineNo = 1
  let counted = 0 // position up to which newlines were counted
  for (;;) {
    const m = prefilter.exec(text)
    if (!m) break
    const start = text.lastIndexOf('\n', m.index) + 1
    let end = text.indexOf('\n', m.index)
    if (end < 0) end = text.length
    for (let i = text.indexOf('\n', counted); i >= 0 && i < start; i = text.indexOf('\n', i + 1)) lineNo++
    counted = start
    const line = text.slice(start, end)
    for (const e of matchLine(line)) {
      const prior = results.get(e.code)
      if (prior) prior.count++
      else results.set(e.code, {entry: e, line: lineNo, text: line, count: 1})
    }
    prefilter.lastIndex = end + 1
    if (end >= text.length) break
  }
  return [...results.values()]
}
