// Recognising known errors in pasted text (a message, a stack trace, a whole CI
// log). A linear scan: one combined literal prefilter finds candidate lines, and
// only those lines are tried against each item's matchers. Every matcher is a
// literal or a regex guarded by a literal needle, so the work stays linear in the
// size of the text however hostile it is.
import type {Matcher} from './types.js'

/** Anything recognisable: a catalogue entry (its code also matches) or an explain hint. */
interface Recognisable {
  matchers: readonly Matcher[]
  /** A report code: the code itself, as a word, also matches. */
  code?: string
}

interface Compiled<T> {
  item: T
  /** position in the compiled list (items keep their order) */
  order: number
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

interface LineHit<T> {
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
  /** lower-case needle → the matchers to try when it occurs (its own, and those of needles inside it) */
  private readonly related = new Map<string, Compiled<T>[]>()
  private readonly source: string

  constructor(items: readonly T[]) {
    for (const item of items) {
      if (item.code)
        this.compiled.push({item, order: this.compiled.length, needle: item.code.toLowerCase(), exact: item.code})
      for (const m of item.matchers) {
        if (typeof m === 'string') {
          this.compiled.push({
            item,
            order: this.compiled.length,
            needle: m.toLowerCase(),
            bounded: {start: ALNUM.test(m[0]!), end: ALNUM.test(m.at(-1)!)},
          })
        } else {
          this.compiled.push({
            item,
            order: this.compiled.length,
            needle: m.needle.toLowerCase(),
            re: new RegExp(m.re.source, m.re.flags.replace(/[gy]/g, '')),
          })
        }
      }
    }
    const needles = [...new Set(this.compiled.map((c) => c.needle))].sort((x, y) => y.length - x.length)
    for (const n of needles)
      this.related.set(
        n,
        this.compiled.filter((c) => n.includes(c.needle)),
      )
    this.source = needles.map(escapeRe).join('|')
  }

  /** The items one line shows, in item order (every matcher is tried). */
  matchLine(line: string): LineHit<T>[] {
    return this.tryMatchers(line, this.compiled)
  }

  private tryMatchers(line: string, candidates: readonly Compiled<T>[]): LineHit<T>[] {
    const lower = line.toLowerCase()
    const found = new Map<T, number>()
    for (const c of candidates) {
      if (found.has(c.item)) continue
      if (!lower.includes(c.needle)) continue
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

  /**
   * Every item found in a text, in order of first appearance. One pass of the literal
   * prefilter over the text (case-folded once); each line with hits is tried only against
   * the matchers of the needles found in it. Very long lines are read in bounded windows.
   */
  scan(text: string): TextMatch<T>[] {
    const results = new Map<T, TextMatch<T>>()
    const folded = text.toLowerCase()
    // toLowerCase keeps offsets unless a rare character changes length: then search case-insensitively
    const hay = folded.length === text.length ? folded : text
    const prefilter = new RegExp(this.source, hay === folded ? 'g' : 'gi')
    let lineNo = 1
    let lineStart = 0
    let lineEnd = -1 // the current line is [lineStart, lineEnd)
    let m = prefilter.exec(hay)
    while (m) {
      if (m.index > lineEnd) {
        // leave the current line (its newline is at lineEnd), then count the newlines skipped up to the
        // next line with a hit (each text byte is visited once)
        if (lineEnd >= 0) {
          lineNo++
          lineStart = lineEnd + 1
        }
        let nl = text.indexOf('\n', lineStart)
        while (nl >= 0 && nl < m.index) {
          lineNo++
          lineStart = nl + 1
          nl = text.indexOf('\n', nl + 1)
        }
        lineEnd = nl < 0 ? text.length : nl
      }
      let start = lineStart
      let end = lineEnd
      if (end - start > LONG_LINE) {
        start = Math.max(start, m.index - WINDOW_BEFORE)
        end = Math.min(end, m.index + WINDOW_AFTER)
      }
      // every needle occurring in [start, end): overlapping hits, one step at a time
      const needles = new Set<string>()
      while (m && m.index < end) {
        needles.add(m[0].toLowerCase())
        prefilter.lastIndex = m.index + 1
        m = prefilter.exec(hay)
      }
      const candidates = new Set<Compiled<T>>()
      for (const n of needles) for (const c of this.related.get(n) ?? []) candidates.add(c)
      const line = text.slice(start, end)
      for (const hit of this.tryMatchers(
        line,
        [...candidates].sort((x, y) => x.order - y.order),
      )) {
        const prior = results.get(hit.item)
        if (prior) prior.count++
        else results.set(hit.item, {item: hit.item, line: lineNo, text: line, index: hit.index, count: 1})
      }
    }
    return [...results.values()]
  }
}

/** Lines longer than this are matched in windows around each hit. */
const LONG_LINE = 4096
const WINDOW_BEFORE = 512
const WINDOW_AFTER = 2048
