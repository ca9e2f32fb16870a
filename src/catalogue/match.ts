// Recognising known errors in pasted text (a message, a stack trace, a whole CI
// log). A linear scan: one combined literal prefilter finds candidate lines, and
// only those lines are tried against each item's matchers. Every matcher is a
// literal or a regex guarded by a literal needle, so the work stays linear in the
// size of the text however hostile it is.
import {catalogue} from './index.js'
import type {Matcher} from './types.js'

/** Anything recognisable: a catalogue entry (its code also matches) or an explain hint. */
export interface Recognisable {
  matchers: readonly Matcher[]
  /** A report code: the code itself, as a word, also matches. */
  code?: string
}

interface Compiled<T> {
  item: T
  /** lower-case literal the line must contain */
  needle: string
  /** case-sensitive literal (a code), word-bounded */
  exact?: string
  re?: RegExp
  /** word boundaries required around a literal */
  bounded?: {start: boolean; end: boolean}
}

const ALNUM = /[A-Za-z0-9]/

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function boundedIndex(hay: string, needle: string, b: {start: boolean; end: boolean}): number {
  let from = 0
  for (;;) {
    const i = hay.indexOf(needle, from)
    if (i < 0) return -1
    const before = i === 0 ? '' : hay[i - 1]!
    const after = hay[i + needle.length] ?? ''
    if ((!b.start || !ALNUM.test(before)) && (!b.end || !ALNUM.test(after))) return i
    from = i + 1
  }
}

export interface LineHit<T> {
  item: T
  /** where in the line the wording starts */
  index: number
}

export interface TextMatch<T> {
  item: T
  /** 1-based line number of the first occurrence */
  line: number
  /** the first line it was found on, as pasted (not yet redacted or escaped) */
  text: string
  /** where in that line the wording starts */
  index: number
  /** how many lines show it */
  count: number
}

export class Scanner<T extends Recognisable> {
  private readonly compiled: Compiled<T>[] = []
  private readonly prefilter: RegExp

  constructor(items: readonly T[]) {
    for (const item of items) {
      if (item.code) this.compiled.push({item, needle: item.code.toLowerCase(), exact: item.code})
      for (const m of item.matchers) {
        if (typeof m === 'string') {
          this.compiled.push({item, needle: m.toLowerCase(), bounded: {start: ALNUM.test(m[0]!), end: ALNUM.test(m.at(-1)!)}})
        } else {
          this.compiled.push({item, needle: m.needle.toLowerCase(), re: new RegExp(m.re.source, m.re.flags.replace(/[gy]/g, ''))})
        }
      }
    }
    const needles = [...new Set(this.compiled.map((c) => c.needle))].sort((a, b) => b.length - a.length)
    this.prefilter = new RegExp(needles.map(escapeRe).join('|'), 'gi')
  }

  /** The items one line shows, in item order. */
  matchLine(line: string): LineHit<T>[] {
    const lower = line.toLowerCase()
    const found = new Map<T, number>()
    for (const c of this.compiled) {
      if (found.has(c.item)) continue
      const at = lower.indexOf(c.needle)
      if (at < 0) continue
      let index = -1
      if (c.exact) {
        const i = boundedIndex(line, c.exact, {start: true, end: true})
        if (i >= 0 && line[i + c.exact.length] !== '_' && line[i - 1] !== '_') index = i
      } else if (c.re) {
        const m = c.re.exec(line)
        if (m) index = m.index
      } else index = boundedIndex(lower, c.needle, c.bounded!)
      if (index >= 0) found.set(c.item, index)
    }
    return [...found].map(([item, index]) => ({item, index}))
  }

  /** Every item found in a text, in order of first appearance. */
  scan(text: string): TextMatch<T>[] {
    const results = new Map<T, TextMatch<T>>()
    const prefilter = new RegExp(this.prefilter.source, 'gi')
    let lineNo = 1
    let counted = 0
    for (;;) {
      const m = prefilter.exec(text)
      if (!m) break
      const start = text.lastIndexOf('\n', m.index) + 1
      let end = text.indexOf('\n', m.index)
      if (end < 0) end = text.length
      for (let i = text.indexOf('\n', counted); i >= 0 && i < start; i = text.indexOf('\n', i + 1)) lineNo++
      counted = start
      const line = text.slice(start, end)
      for (const hit of this.matchLine(line)) {
        const prior = results.get(hit.item)
        if (prior) prior.count++
        else results.set(hit.item, {item: hit.item, line: lineNo, text: line, index: hit.index, count: 1})
      }
      if (end >= text.length) break
      prefilter.lastIndex = end + 1
    }
    return [...results.values()]
  }
}

let catalogueScanner: Scanner<(typeof catalogue)[number]> | undefined

/** Catalogue entries found in a text. */
export function scanText(text: string): TextMatch<(typeof catalogue)[number]>[] {
  catalogueScanner ??= new Scanner(catalogue)
  return catalogueScanner.scan(text)
}
