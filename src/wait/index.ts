// `db-doctor wait`: run the checks until the target is healthy (warnings allowed unless
// strict), the deadline passes, or a failure that waiting cannot fix appears. No printing:
// the command observes every attempt through onAttempt and reports the final state.
import {isUnixSocketHost} from '../config/connection-keywords.js'
import type {CheckResult, Report, RunReport} from '../core/types.js'
import {isFleet} from '../core/types.js'
import {isTransient} from '../checks/catalogue.js'
import {tcpAccepts} from '../probes/tcp.js'

export interface WaitAttempt {
  attempt: number
  /** Since the start of the wait. */
  elapsedMs: number
  report: RunReport
  /** The first problem that keeps the run from being healthy; undefined when it is. */
  blocking?: Blocking
  /** How long until the next attempt; undefined when this was the last one. */
  nextInMs?: number
}

interface Blocking {
  code: string
  summary: string
  /** The target's name in a multi-target run. */
  target?: string
  transient: boolean
}

type WaitOutcome = 'healthy' | 'permanent' | 'deadline' | 'interrupted'

export interface WaitResult {
  outcome: WaitOutcome
  /**
   * The last complete report; when the deadline or a signal cut the only attempt, what that attempt had
   * found (`cut`), if the input can say (`cutReport`); else undefined.
   */
  report?: RunReport
  /** The report is of an attempt cut short: the checks that ended, then the one that was running. */
  cut?: boolean
  attempts: number
  elapsedMs: number
  blocking?: Blocking
}

export interface WaitInput {
  /** One attempt: the whole check run. */
  attempt(): Promise<RunReport>
  deadlineMs: number
  /** Delay before the first retry; later ones double, with jitter, up to maxIntervalMs. */
  intervalMs: number
  maxIntervalMs?: number
  strict?: boolean
  /** Can waiting fix this code? Default: the catalogue's `transient` (unknown codes are not). */
  transient?(code: string): boolean
  onAttempt?(a: WaitAttempt): void
  /** What the attempt in flight has found so far, when the deadline or a signal cuts it before any attempt ended. */
  cutReport?(by: 'deadline' | 'interrupted'): RunReport | undefined
  /** Aborting (SIGTERM, SIGINT) ends the wait at once with the last state. */
  signal?: AbortSignal
  /**
   * A cheap readiness poll for the time between attempts (e.g. "does the port accept TCP
   * now?"), given the last report and what blocks it; undefined when none applies. It runs
   * every intervalMs while waiting, and a `true` starts the next attempt at once: the wait
   * ends about one interval + one check after the database becomes ready, even when the
   * backoff has grown to its cap.
   */
  readiness?(report: RunReport, blocking: Blocking): (() => Promise<boolean>) | undefined
  /** For tests: a source of randomness in [0, 1). */
  random?(): number
}

const MAX_INTERVAL_MS = 5000

/**
 * The delay before retry n (1-based): intervalMs, then doubling, capped; every delay after the
 * first is jittered down by up to 20 % so that many waiters do not retry in lockstep.
 */
export function backoff(
  n: number,
  intervalMs: number,
  maxMs = MAX_INTERVAL_MS,
  random: () => number = Math.random,
): number {
  const cap = Math.max(intervalMs, maxMs)
  const base = Math.min(cap, intervalMs * 2 ** Math.min(n - 1, 30))
  return n === 1 ? base : Math.round(base * (1 - 0.2 * random()))
}

function problemsOf(report: Report, strict: boolean): CheckResult[] {
  return report.checks.filter((c) => c.status === 'fail' || (strict && c.status === 'warn'))
}

/** The first problem of the run, preferring one waiting cannot fix (it decides to stop). */
export function blockingOf(
  doc: RunReport,
  strict: boolean,
  transient: (code: string) => boolean,
): Blocking | undefined {
  const reports = isFleet(doc) ? doc.reports : [doc]
  let first: Blocking | undefined
  for (const r of reports) {
    for (const c of problemsOf(r, strict)) {
      const b: Blocking = {
        code: c.code ?? 'FAIL',
        summary: c.summary,
        transient: transient(c.code ?? ''),
        ...('name' in r ? {target: (r as {name: string}).name} : {}),
      }
      if (!b.transient) return b
      first ??= b
    }
  }
  return first
}

export async function waitUntilHealthy(input: WaitInput): Promise<WaitResult> {
  const started = performance.now()
  const strict = Boolean(input.strict)
  const transient = input.transient ?? isTransient
  const random = input.random ?? Math.random
  const elapsed = () => Math.round(performance.now() - started)
  const deadlineAt = started + input.deadlineMs
  let report: RunReport | undefined
  let blocking: Blocking | undefined
  let attempts = 0

  // Resolves when the deadline passes or the signal aborts, whichever comes first.
  let wake: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined
  const stop = new Promise<'deadline' | 'interrupted'>((resolve) => {
    const onAbort = () => resolve('interrupted')
    if (input.signal?.aborted) resolve('interrupted')
    input.signal?.addEventListener('abort', onAbort, {once: true})
    timer = setTimeout(() => resolve('deadline'), Math.max(0, input.deadlineMs))
  })
  const finish = (outcome: WaitOutcome, inFlight = false): WaitResult => {
    clearTimeout(timer)
    wake?.()
    const cut =
      !report && inFlight && (outcome === 'deadline' || outcome === 'interrupted')
        ? input.cutReport?.(outcome)
        : undefined
    if (cut) blocking = blockingOf(cut, strict, transient)
    return {
      outcome,
      report: report ?? cut,
      ...(cut ? {cut: true} : {}),
      attempts,
      elapsedMs: elapsed(),
      ...(blocking ? {blocking} : {}),
    }
  }

  for (;;) {
    attempts++
    const result = await Promise.race([input.attempt().then((r) => ({r})), stop])
    if (typeof result === 'string') return finish(result, true)
    report = result.r
    blocking = blockingOf(report, strict, transient)
    const last = !blocking || !blocking.transient
    const delay = backoff(attempts, input.intervalMs, input.maxIntervalMs, random)
    const remaining = Math.round(deadlineAt - performance.now())
    const nextInMs = last || remaining <= 0 ? undefined : Math.min(delay, remaining)
    input.onAttempt?.({
      attempt: attempts,
      elapsedMs: elapsed(),
      report,
      ...(blocking ? {blocking} : {}),
      ...(nextInMs !== undefined ? {nextInMs} : {}),
    })
    if (!blocking) return finish('healthy')
    if (!blocking.transient) return finish('permanent')
    if (nextInMs === undefined) return finish(await stop)
    const poll = input.readiness?.(report, blocking)
    const slept = await Promise.race([
      new Promise<'slept'>((resolve) => {
        let polling: NodeJS.Timeout | undefined
        const t = setTimeout(() => done(), nextInMs)
        const done = () => {
          clearTimeout(t)
          clearTimeout(polling)
          wake = undefined
          resolve('slept')
        }
        wake = done
        if (poll && nextInMs > input.intervalMs) {
          const tick = () => {
            polling = setTimeout(() => {
              void poll().then(
                (ready) => (!wake ? undefined : ready ? done() : tick()),
                () => wake && tick(),
              )
            }, input.intervalMs)
          }
          tick()
        }
      }),
      stop,
    ])
    if (slept !== 'slept') return finish(slept)
  }
}

/** Codes where "the port accepts TCP now" means the next attempt may pass. */
const NETWORK_CODES = new Set([
  'TCP_REFUSED',
  'TCP_TIMEOUT',
  'TCP_UNREACHABLE',
  'DNS_NOT_FOUND',
  'DNS_TEMPORARY_FAILURE',
  'DNS_TIMEOUT',
  'DOCKER_DNS_FAILURE',
])

/**
 * The readiness poll `wait` uses: while a single target is blocked at the network (nothing
 * listens yet, no route, the name does not resolve yet), "does host:port accept TCP now?".
 */
export function portReadiness(timeoutMs: number): NonNullable<WaitInput['readiness']> {
  return (report, blocking) => {
    if (isFleet(report) || !NETWORK_CODES.has(blocking.code)) return undefined
    const {host, port} = report.target
    if (!host || !port || isUnixSocketHost(host)) return undefined
    return () => tcpAccepts(host, port, timeoutMs)
  }
}
