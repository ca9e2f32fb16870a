// Pasted text is redacted before anything is printed: passwords in URLs and
// key=value strings, PGPASSWORD=…, password: … in YAML/JSON, Authorization headers.
// Every secret found anywhere in the text is masked wherever else it appears.
// Linear in the text: keywords are found with indexOf, then a bounded sticky
// regex reads the value at that place (hostile logs stay cheap).
import {redact} from '../core/redact.js'
import {inertLine} from '../reporters/escape.js'

const MASK = '****'
const MAX_ATTEMPTS = 20_000

/** keyword (lower case) → how the value after it reads */
const VALUE_AFTER: [string, RegExp][] = [
  ['password', /["']?\s{0,10}[=:]\s{0,10}("[^"\n]{1,500}"|'[^'\n]{1,500}'|[^\s,;'"}&]{1,500})/y],
  ['passwd', /["']?\s{0,10}[=:]\s{0,10}("[^"\n]{1,500}"|'[^'\n]{1,500}'|[^\s,;'"}&]{1,500})/y],
  ['secret', /["']?\s{0,10}[=:]\s{0,10}("[^"\n]{1,500}"|'[^'\n]{1,500}'|[^\s,;'"}&]{1,500})/y],
  ['token', /["']?\s{0,10}[=:]\s{0,10}("[^"\n]{1,500}"|'[^'\n]{1,500}'|[^\s,;'"}&]{1,500})/y],
  ['authorization', /["']?\s{0,10}[=:]\s{0,10}["']?(?:[A-Za-z]{1,20} {1,5})?([^\s"',;]{1,2000})/y],
  // ://user:password@host — the value runs to the last '@' before whitespace
  ['://', /[^\s:/@'"]{0,300}:([^\s'"]{1,500})@/y],
]

function unquote(v: string): string {
  return (v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")) ? v.slice(1, -1) : v
}

/** Every secret the text shows, with where it is (to mask it here and wherever else it appears). */
function findSecrets(text: string): {value: string; start: number; end: number}[] {
  const lower = text.toLowerCase()
  const out: {value: string; start: number; end: number}[] = []
  for (const [keyword, re] of VALUE_AFTER) {
    let next = 0
    let attempts = 0
    // bounded: a hostile paste with millions of keywords costs at most MAX_ATTEMPTS reads each
    // (excerpts are also redacted on their own, so a value past the cap is still masked there)
    for (let i = lower.indexOf(keyword); i >= 0 && attempts++ < MAX_ATTEMPTS; i = lower.indexOf(keyword, next)) {
      next = i + keyword.length
      re.lastIndex = next
      const m = re.exec(text)
      if (!m) continue
      next = m.index + m[0].length // linear: the value read is not searched again
      let raw = m[1]!
      if (keyword === '://') raw = raw.slice(0, raw.lastIndexOf('@') >= 0 ? raw.lastIndexOf('@') : raw.length)
      const value = unquote(raw)
      const start = m.index + m[0].indexOf(raw)
      if (value.length >= 3 && value !== MASK) out.push({value, start, end: start + raw.length})
    }
  }
  return out
}

/** Every secret the text shows (to be masked wherever it appears), longest first. */
export function pastedSecrets(text: string): string[] {
  return [...new Set(findSecrets(text).map((s) => s.value))].sort((a, b) => b.length - a.length)
}

/** Text with every secret masked: the ones found in the whole paste, then the shapes in this text. */
export function redactPasted(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK)
  // shapes in this piece (a value the whole-text pass saw cut differently)
  const local = findSecrets(out).sort((a, b) => b.start - a.start)
  let floor = Infinity // start of the last range masked: skip ranges overlapping it
  for (const s of local) {
    if (s.end > floor) continue
    out = out.slice(0, s.start) + MASK + out.slice(s.end)
    floor = s.start
  }
  return redact(out)
}

/** Control characters (terminal escapes, NUL, CR, bidi overrides…) shown escaped, never interpreted (the shared escaping). */
export function inert(text: string): string {
  return inertLine(text)
}
