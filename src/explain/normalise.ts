// Whole logs as people paste them, turned into the plain lines the matchers read: ANSI colour and
// terminal escapes removed, Windows line ends and lone carriage returns undone, the prefixes of
// Docker, docker compose, Kubernetes (CRI "stdout F", kubectl --prefix) and timestamps dropped,
// CRI partial lines ("P") joined, and JSON-lines loggers (pino, bunyan, winston) opened: the strings
// of each object (msg, err.message, err.stack…) become lines of their own, with their escaped
// newlines and quotes restored. Every output line remembers the pasted line it came from, so
// explain still points at the line the user sees.
//
// Linear and bounded: every pasted line is read a constant number of times (the regexes are
// anchored, without nested quantifiers); JSON is parsed only for lines up to MAX_JSON_LINE, and at
// most MAX_STRINGS strings are taken from one object, MAX_DEPTH deep.

interface Normalised {
  /** The lines to match, joined with '\n'. */
  text: string
  /** For each line of `text` (0-based), the 1-based line of the pasted text it comes from. */
  origin: number[]
}

const MAX_JSON_LINE = 1 << 20
const MAX_STRINGS = 200
const MAX_DEPTH = 8

// The escapes logs carry inside words: SGR colour (ESC [ … m, also the 8-bit CSI) and erase-in-line
// (ESC [ n K, spinners). Other terminal escapes stay: explain shows them escaped (inert), never hidden.
// eslint-disable-next-line no-control-regex
const ANSI = /(?:\u001b\[|\u009b)[0-9;:]{0,64}[mK]/g

/** CRI (containerd, CRI-O) log format: `2024-05-01T10:00:00.123456789Z stdout F message`. */
const CRI = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d) (?:stdout|stderr) ([FP]) ?/
/** `kubectl logs --prefix`: `[pod/migrate-7d9f/migrate] message`. */
const KUBECTL = /^\[pod\/[^\]\s]{1,300}\] /
/** docker compose: `api-1  | message` (also `api_1  |`). */
const COMPOSE = /^[A-Za-z0-9][\w.-]{0,100}\s{1,40}\| ?/
/** A leading timestamp: `docker logs -t`, GitHub Actions, most loggers. */
const TIMESTAMP = /^\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d| ?UTC)?\]? ?/

function stripAnsi(line: string): string {
  return line.includes('\u001b') || line.includes('\u009b') ? line.replace(ANSI, '') : line
}

/** The line without its log-shipper prefixes; `partial` for a CRI "P" line (continued on the next one). */
function unprefix(line: string): {body: string; partial: boolean} {
  let body = line
  let partial = false
  const cri = CRI.exec(body)
  if (cri) {
    partial = cri[1] === 'P'
    body = body.slice(cri[0].length)
  }
  const kubectl = KUBECTL.exec(body)
  if (kubectl) body = body.slice(kubectl[0].length)
  const compose = COMPOSE.exec(body)
  if (compose) body = body.slice(compose[0].length)
  const ts = TIMESTAMP.exec(body)
  if (ts) body = body.slice(ts[0].length)
  return {body, partial}
}

/** Every string in a parsed JSON value (keys too for error-like objects are not needed), bounded. */
function strings(value: unknown, out: string[], depth: number): void {
  if (out.length >= MAX_STRINGS) return
  if (typeof value === 'string') {
    if (value.length) out.push(value)
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    return
  } else if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return
    for (const v of value) {
      if (out.length >= MAX_STRINGS) return
      strings(v, out, depth + 1)
    }
  } else if (value && typeof value === 'object') {
    if (depth >= MAX_DEPTH) return
    for (const [k, v] of Object.entries(value)) {
      if (out.length >= MAX_STRINGS) return
      // a driver error's code sits in a field: keep `code: 'X'` readable as the crash log prints it
      if ((k === 'code' || k === 'sqlState' || k === 'errorCode') && typeof v === 'string') out.push(`code: '${v}'`)
      else strings(v, out, depth + 1)
    }
  }
}

/** JSON escapes of a line that is not valid JSON (a truncated logger line): \n, \r, \t, \", \\, \u001b. */
export function unescapeLoose(line: string): string {
  if (!line.includes('\\')) return line
  return line.replace(
    /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g,
    (_m, hex: string | undefined, c: string | undefined) => {
      if (hex) return String.fromCharCode(parseInt(hex, 16))
      switch (c) {
        case 'n':
          return '\n'
        case 'r':
          return '\n'
        case 't':
          return '\t'
        case 'b':
        case 'f':
          return ' '
        default:
          return c!
      }
    },
  )
}

function looksEscaped(line: string): boolean {
  return line.includes('\\n') || line.includes('\\"') || line.includes('\\/') || line.includes('\\u001b')
}

/** The lines one pasted log line stands for (after its prefixes are gone). */
function expand(body: string): string[] {
  const trimmed = body.trim()
  if (trimmed.length >= 2 && trimmed.length <= MAX_JSON_LINE && trimmed[0] === '{') {
    if (trimmed.endsWith('}')) {
      try {
        const found: string[] = []
        strings(JSON.parse(trimmed) as unknown, found, 0)
        // a logged string can itself carry escaped text (a JSON body, a quoted error): undo that once more
        return found
          .flatMap((v) => v.split('\n'))
          .flatMap((l) => (looksEscaped(l) ? unescapeLoose(l).split('\n') : [l]))
      } catch {
        // not JSON after all: read it with its escapes undone
      }
    }
    return unescapeLoose(trimmed).split('\n')
  }
  // a JSON-ish fragment inside a plain line (an escaped stack in a message): undo the escapes
  if (looksEscaped(body)) return unescapeLoose(body).split('\n')
  return [body]
}

/** The pasted text as lines to match, each with the pasted line it comes from. */
export function normalise(pasted: string): Normalised {
  const out: string[] = []
  const origin: number[] = []
  let pending = '' // a CRI partial line waiting for its continuation
  let pendingLine = 0
  let lineNo = 0
  let start = 0
  const n = pasted.length
  while (start <= n) {
    let end = pasted.indexOf('\n', start)
    if (end < 0) end = n
    lineNo++
    let line = pasted.slice(start, end)
    start = end + 1
    if (line.endsWith('\r')) line = line.slice(0, -1)
    line = stripAnsi(line)
    // a lone CR (a progress bar redrawing the line, old Mac line ends): each version is read, on this line
    const versions = line.includes('\r') ? line.split('\r') : null
    if (versions) {
      line = versions.pop()!
      for (const v of versions) {
        for (const piece of expand(unprefix(v).body)) {
          out.push(piece)
          origin.push(lineNo)
        }
      }
    }
    const {body, partial} = unprefix(line)
    if (partial) {
      if (!pending) pendingLine = lineNo
      pending += body
      if (end === n) break
      continue
    }
    const whole = pending ? pending + body : body
    const from = pending ? pendingLine : lineNo
    pending = ''
    for (const piece of expand(whole)) {
      out.push(stripAnsi(piece))
      origin.push(from)
    }
    if (end === n) break
  }
  if (pending) {
    for (const piece of expand(pending)) {
      out.push(stripAnsi(piece))
      origin.push(pendingLine)
    }
  }
  return {text: out.join('\n'), origin}
}
