// Issue 17 item 7: every parser, matcher, masker and wrapper is linear in its input. A 120K-character
// database name took 20 s (and minutes on a loaded machine) in the redactor's URL-authority regex,
// which rescanned a run of letters from every position; a password= list, a run of "postgres://"
// and a key=value fallback regex were quadratic too. Properties over hostile repeated units
// (fast-check picks the unit and what precedes it): 10× the input must take < 30× the CPU time, with
// a generous absolute floor (a complexity check, not a benchmark: CPU time, which the load of a
// shared 2-core machine does not stretch as it does the wall clock). A quadratic function takes ~100× here.
import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'
import {scanText} from '../../src/checks/catalogue.js'
import * as cs from '../../src/config/connection-string.js'
import {actionsInert, inertBlock, inertLine, jsonInert, mdCode, mdFence, mdInline} from '../../src/core/escape.js'
import {passwordsInText, redact, redactor} from '../../src/core/redact.js'
import {explainText} from '../../src/explain/index.js'
import {normalise} from '../../src/explain/normalise.js'
import {pastedSecrets, redactPasted} from '../../src/explain/redact.js'
import {wrapParagraph, wrapText} from '../../src/reporters/wrap.js'

const SMALL = 4_000
const FACTOR = 10
const MAX_RATIO = 30
/** Below this (CPU ms) the large input is fast whatever the ratio (timer resolution, GC). */
const FLOOR_MS = 150

/** Units that drive regexes and scanners into their worst cases. */
const UNITS = [
  'a',
  ' ',
  ':',
  '@',
  '/',
  '%',
  '\\',
  '"',
  "'",
  '=',
  '#',
  '`',
  '::',
  'a:',
  'a@',
  'a1',
  '<',
  ';',
  '*_',
  '\n',
  'a=b ',
  "a='",
  '%2',
  '?a=b&',
  'x:y@z:',
  'password=',
  'password=x ',
  'postgres://',
  'postgres://a:b@',
  '##[',
  '\u202e',
]
const PREFIXES = ['', 'postgres://u:p@h/', 'host=h dbname=', 'password=']

const FUNCTIONS: Record<string, (s: string) => unknown> = {
  redact,
  passwordsInText,
  addFromConnectionString: (s) => redactor.addFromConnectionString(s),
  inertLine,
  inertBlock,
  mdInline,
  mdCode,
  mdFence,
  jsonInert,
  actionsInert,
  wrapParagraph: (s) => wrapParagraph(s, 80, '  '),
  wrapText: (s) => wrapText(s, 80),
  parseConnectionString: (s) => cs.parseConnectionString(s, {allowKeyValue: true}),
  splitUrl: cs.splitUrl,
  checkUrlEncoding: cs.checkUrlEncoding,
  intendedUrlValues: cs.intendedUrlValues,
  tokenizeKeyValue: cs.tokenizeKeyValue,
  keyValueSecrets: cs.keyValueSecrets,
  connectionParams: cs.connectionParams,
  maskConnectionString: cs.maskConnectionString,
  maskCutUrl: cs.maskCutUrl,
  scanText,
  explainText: (s) => explainText(s, 'auto'),
  normalise,
  pastedSecrets,
  redactPasted: (s) => redactPasted(s, ['secretpw']),
}

/**
 * One call's CPU time, this process's user + system (process.cpuUsage), not the wall clock: on a shared 2-core
 * machine a call of a few milliseconds fits in one time slice while one of 40 ms waits for the other processes
 * several times over, so wall-clock ratios grow with the load (37x for a linear function under a busy suite).
 * Errors are results too (a parser refusing the input); only the time matters.
 */
function once(f: (s: string) => unknown, s: string): number {
  const before = process.cpuUsage()
  try {
    f(s)
  } catch {
    // see above
  }
  const used = process.cpuUsage(before)
  redactor.clear()
  return (used.user + used.system) / 1000
}

/**
 * The best of ROUNDS calls of each size, the two sizes interleaved: what is left of the machine in CPU time (caches,
 * another suite's memory traffic, a GC) then lands on both sizes alike.
 */
const ROUNDS = 5
function timesOf(f: (s: string) => unknown, small: string, large: string): {small: number; large: number} {
  let s = Infinity
  let l = Infinity
  for (let i = 0; i < ROUNDS; i++) {
    s = Math.min(s, once(f, small))
    l = Math.min(l, once(f, large))
    // a linear function is far below the floor at this size: no need for more rounds
    if (l < FLOOR_MS) break
  }
  return {small: s, large: l}
}

afterEach(() => redactor.clear())

describe('linear time on hostile long strings', () => {
  it.each(Object.keys(FUNCTIONS))('%s: 10x the input takes < 30x the time', (name) => {
    const f = FUNCTIONS[name]
    fc.assert(
      fc.property(fc.constantFrom(...UNITS), fc.constantFrom(...PREFIXES), (unit, prefix) => {
        const input = (n: number) => prefix + unit.repeat(Math.ceil(n / unit.length))
        once(f, input(SMALL)) // warm-up: the JIT, not the algorithm
        const {small, large} = timesOf(f, input(SMALL), input(SMALL * FACTOR))
        if (large < FLOOR_MS) return
        expect(
          large / Math.max(small, FLOOR_MS / MAX_RATIO),
          `${JSON.stringify(prefix)} + ${JSON.stringify(unit)}×`,
        ).toBeLessThan(MAX_RATIO)
      }),
      {numRuns: 12},
    )
  })
})
