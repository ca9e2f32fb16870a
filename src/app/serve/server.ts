// `db-doctor serve`: a Prometheus prober in the style of blackbox_exporter (the multi-target exporter
// pattern). GET /probe?target=NAME runs one full check of a target from the closed list the server was
// started with and answers its metrics; /metrics has the prober's own; /-/healthy says it is alive.
//
// - A target is only ever a NAME from that list: an unknown name is 404 before anything is resolved or
//   dialled (no SSRF), and nothing of the request reaches a check.
// - Each probe finishes before the scrape times out: its deadline is X-Prometheus-Scrape-Timeout-Seconds
//   minus an offset (or --probe-timeout), every network step's budget is cut to it, and a probe still
//   running at the deadline answers probe_success 0 with the checks that finished.
// - At most `concurrency` probes run at once; a scrape waits for a place until its deadline (then 503).
// - One probe of a target at a time: concurrent scrapes of one target share it, and a result younger
//   than `minIntervalMs` is answered again (HA Prometheus pairs, retries) instead of probing again.
// - Auth and TLS from --web-config (web-config.ts); /-/healthy needs none.
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import type {CheckResult, Report} from '../../core/types.js'
import {CONTENT_TYPE, renderExposition, type ExpositionFormat, type Sample} from '../../reporters/exposition.js'
import {PROBE_METRICS, SERVE_METRICS} from '../../catalogue/metrics.js'
import {reportSamples} from '../../reporters/openmetrics.js'
import {redactor} from '../../core/redact.js'
import {cutReport} from '../../core/runner.js'
import {serveSays} from '../../catalogue/serve.js'
import {fileErrorText} from '../../catalogue/files.js'
import {authenticator, type WebConfig} from './web-config.js'

/** Runs one probe of a target: its report, with `timeoutMs` as every network step's budget. */
export type ProbeRunner = (
  target: string,
  opts: {timeoutMs: number; onCheck(result: CheckResult): void},
) => Promise<Report>

export interface ServeOptions {
  /** The closed list of target names. */
  targets: readonly string[]
  run: ProbeRunner
  /** The tool's version (db_doctor_build_info). */
  version: string
  /** Budget per network step (--timeout), cut to the probe's deadline. */
  stepTimeoutMs: number
  /** Longest probe when the scraper sends no timeout header (--probe-timeout). */
  probeTimeoutMs: number
  /** Subtracted from X-Prometheus-Scrape-Timeout-Seconds (blackbox_exporter's timeout_offset). */
  timeoutOffsetMs?: number
  concurrency: number
  /** A target's result is answered again for this long (0: every scrape probes). */
  minIntervalMs: number
  strict: boolean
  web?: WebConfig
  /** Logs one line per event (never a password: the caller's writer redacts). */
  log?(line: string): void
}

interface Cached {
  at: number
  body: Sample[]
}

type ProbeResult =
  'success' | 'failure' | 'timeout' | 'cached' | 'rejected' | 'cancelled' | 'unknown_target' | 'unauthorized'
const RESULTS: readonly ProbeResult[] = [
  'success',
  'failure',
  'timeout',
  'cached',
  'rejected',
  'cancelled',
  'unknown_target',
  'unauthorized',
]

export interface ProbeServer {
  server: http.Server
  /** Resolves with the bound address. */
  listen(host: string, port: number): Promise<AddressInfo>
  /**
   * Stops accepting, lets running probes finish for at most `graceMs`, then cancels the rest: their
   * scrapes are answered 503 (the prober stopped; the target did not fail) and their runs are abandoned
   * (the process is expected to exit: the command calls requestExit()). Resolves once every answer is
   * written and the server is closed, with the number of probes cancelled.
   */
  shutdown(graceMs?: number): Promise<{cancelled: number}>
  inFlight(): number
}

export function negotiate(accept: string | undefined): ExpositionFormat {
  return accept && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus'
}

/** A probe's answer: its samples, and whether it was cut at its deadline (then not cached). */
interface ProbeOutcome {
  samples: Sample[]
  timedOut: boolean
}

/** What the server's parts share: the options, the targets, the counters, the cache and the probes running. */
interface ServeState {
  opts: ServeOptions
  names: Set<string>
  counts: Map<ProbeResult, number>
  cache: Map<string, Cached>
  /** the probe of each target running now, shared by its concurrent scrapes */
  running: Map<string, Promise<ProbeOutcome>>
  places: Places
  /**
   * Aborted when shutdown's grace is over: every probe still running or waiting is cut and answered 503.
   * Each probe listens only while it runs (a listener per probe on one long-lived promise would keep
   * every probe's result alive until shutdown).
   */
  stopping: AbortController
  /** probes running now (db_doctor_probes_in_flight) */
  probing: number
  cancelledProbes: number
  /** /probe answers not yet written */
  answering: number
  closing: boolean
}

/** At most `concurrency` probes at once: a place, waited for until a deadline. */
interface Places {
  /** Resolves true with a place, false when the deadline passed first. */
  acquire(deadline: number): Promise<boolean>
  release(): void
}

function places(concurrency: number): Places {
  let active = 0
  const waiters: (() => void)[] = []
  return {
    acquire: (deadline) => {
      if (active < concurrency) {
        active++
        return Promise.resolve(true)
      }
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          active++
          resolve(true)
        }
        const timer = setTimeout(
          () => {
            const i = waiters.indexOf(wake)
            if (i >= 0) waiters.splice(i, 1)
            resolve(false)
          },
          Math.max(0, deadline - Date.now()),
        )
        waiters.push(wake)
      })
    },
    release: () => {
      active--
      const next = waiters.shift()
      if (next) next()
    },
  }
}

function count(state: ServeState, r: ProbeResult): void {
  state.counts.set(r, (state.counts.get(r) ?? 0) + 1)
}

/** Resolves 'cancelled' when shutdown cancels the probes; done() stops listening. */
function whenCancelled(stopping: AbortController): {promise: Promise<'cancelled'>; done(): void} {
  let listener = () => {}
  const promise = new Promise<'cancelled'>((resolve) => {
    listener = () => resolve('cancelled')
    if (stopping.signal.aborted) resolve('cancelled')
    else stopping.signal.addEventListener('abort', listener, {once: true})
  })
  return {promise, done: () => stopping.signal.removeEventListener('abort', listener)}
}

/**
 * One probe of `name`, finished or cut at `deadline` (or by shutdown: Cancelled); the run itself is not
 * interrupted (every step has a budget), its late result is dropped. Null: no place before the deadline.
 */
async function probe(state: ServeState, name: string, deadline: number): Promise<ProbeOutcome | null> {
  const cancel = whenCancelled(state.stopping)
  try {
    return await probeWith(state, name, deadline, cancel.promise)
  } finally {
    cancel.done()
  }
}

async function probeWith(
  state: ServeState,
  name: string,
  deadline: number,
  cancelled: Promise<'cancelled'>,
): Promise<ProbeOutcome | null> {
  const {opts} = state
  const place = state.places.acquire(deadline)
  if ((await Promise.race([place, cancelled])) !== true) {
    // cancelled while waiting for a place: give it back if it came later
    void place.then((got) => got && state.places.release())
    return null
  }
  const started = Date.now()
  const finished: CheckResult[] = []
  state.probing++
  const run = opts
    .run(name, {
      timeoutMs: Math.max(100, Math.min(opts.stepTimeoutMs, deadline - started)),
      onCheck: (r) => finished.push(r),
    })
    .finally(() => {
      state.probing--
      state.places.release()
    })
  let timer: NodeJS.Timeout | undefined
  const cut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - started))
  })
  try {
    const report = await Promise.race([run, cut, cancelled])
    if (report === 'cancelled') {
      run.catch(() => {})
      state.cancelledProbes++
      throw new Cancelled()
    }
    if (report === 'timeout') {
      run.catch(() => {}) // it ends on its own (every step has a budget); its result is dropped
      return timedOutOutcome(finished, started)
    }
    return {
      samples: [
        ...reportSamples(report, {durationMs: Date.now() - started, strict: opts.strict}),
        {name: 'db_doctor_probe_timed_out', value: 0},
      ],
      timedOut: false,
    }
  } finally {
    clearTimeout(timer)
  }
}

/** A probe cut at its deadline: the checks that finished, probe_success 0, probe_timed_out 1. */
function timedOutOutcome(finished: CheckResult[], started: number): ProbeOutcome {
  const partial = cutReport(finished, 'db-doctor')
  return {
    samples: [
      ...reportSamples(partial, {durationMs: Date.now() - started}).map((s) =>
        s.name === 'db_doctor_probe_success' ? {...s, value: 0} : s,
      ),
      {name: 'db_doctor_probe_timed_out', value: 1},
    ],
    timedOut: true,
  }
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
  res.end(redactor.redact(body))
}

/** The probe's deadline: the scrape's timeout header minus the offset, or --probe-timeout. */
function probeDeadline(opts: ServeOptions, req: http.IncomingMessage): number {
  const header = Number.parseFloat(String(req.headers['x-prometheus-scrape-timeout-seconds'] ?? ''))
  const budget =
    Number.isFinite(header) && header > 0
      ? Math.min(opts.probeTimeoutMs, header * 1000 - (opts.timeoutOffsetMs ?? 500))
      : opts.probeTimeoutMs
  return Date.now() + Math.max(100, budget)
}

/** The probe of `name` running now, or a new one (cached unless cut at its deadline). */
function sharedProbe(state: ServeState, name: string, deadline: number): Promise<ProbeOutcome> {
  const shared = state.running.get(name)
  if (shared) return shared
  const started = probe(state, name, deadline).then((r) => {
    if (r === null) throw new Rejected()
    if (!r.timedOut) state.cache.set(name, {at: Date.now(), body: r.samples})
    return r
  })
  state.running.set(name, started)
  started.then(
    () => state.running.delete(name),
    () => state.running.delete(name),
  )
  return started
}

async function answerProbe(
  state: ServeState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const targets = url.searchParams.getAll('target')
  const name = targets.length === 1 ? targets[0]! : undefined
  if (name === undefined || !state.names.has(name)) {
    count(state, 'unknown_target')
    return send(
      res,
      targets.length === 1 ? 404 : 400,
      targets.length === 1 ? serveSays.unknownTarget() : serveSays.oneTarget(),
    )
  }
  const format = negotiate(req.headers.accept)
  const deadline = probeDeadline(state.opts, req)
  const fresh = state.cache.get(name)
  if (fresh && Date.now() - fresh.at < state.opts.minIntervalMs) {
    count(state, 'cached')
    return send(res, 200, renderExposition(PROBE_METRICS, fresh.body, format), CONTENT_TYPE[format])
  }
  const shared = sharedProbe(state, name, deadline)
  try {
    const r = await shared
    count(
      state,
      r.timedOut
        ? 'timeout'
        : r.samples.some((s) => s.name === 'db_doctor_probe_success' && s.value === 1)
          ? 'success'
          : 'failure',
    )
    send(res, 200, renderExposition(PROBE_METRICS, r.samples, format), CONTENT_TYPE[format])
  } catch (error) {
    if (error instanceof Cancelled) {
      count(state, 'cancelled')
      return send(res, 503, serveSays.cancelled())
    }
    if (error instanceof Rejected) {
      count(state, state.closing ? 'cancelled' : 'rejected')
      return send(res, 503, state.closing ? serveSays.cancelled() : serveSays.busy())
    }
    throw error
  }
}

function answerMetrics(state: ServeState, req: http.IncomingMessage, res: http.ServerResponse): void {
  const format = negotiate(req.headers.accept)
  const samples: Sample[] = [
    {name: 'db_doctor_build_info', labels: {version: state.opts.version}, value: 1},
    ...RESULTS.map((result) => ({name: 'db_doctor_probes', labels: {result}, value: state.counts.get(result) ?? 0})),
    {name: 'db_doctor_probes_in_flight', value: state.probing},
    {name: 'db_doctor_targets', value: state.names.size},
    {name: 'db_doctor_resident_memory_bytes', value: process.memoryUsage.rss()},
  ]
  send(res, 200, renderExposition(SERVE_METRICS, samples, format), CONTENT_TYPE[format])
}

/** The request handler: method, /-/healthy, then authentication, then /probe, /metrics, /. */
function handlerOf(state: ServeState): http.RequestListener {
  const allowed = authenticator(state.opts.web ?? {users: new Map(), tokens: []})
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return send(res, 405, serveSays.methodNotAllowed())
    }
    if (url.pathname === '/-/healthy')
      return send(res, state.closing ? 503 : 200, state.closing ? serveSays.shuttingDown() : serveSays.healthy())
    void allowed(req.headers.authorization)
      .then(async (ok) => {
        if (!ok) {
          count(state, 'unauthorized')
          res.setHeader('www-authenticate', 'Basic realm="db-doctor"')
          return send(res, 401, serveSays.unauthorized())
        }
        if (url.pathname === '/probe') {
          // shutting down: a scrape arriving on a kept-alive connection starts no new probe
          if (state.closing) {
            count(state, 'cancelled')
            res.setHeader('connection', 'close')
            return send(res, 503, serveSays.cancelled())
          }
          state.answering++
          res.once('close', () => state.answering--)
          return answerProbe(state, req, res, url)
        }
        if (url.pathname === '/metrics') return answerMetrics(state, req, res)
        if (url.pathname === '/') return send(res, 200, serveSays.index())
        send(res, 404, serveSays.notFound())
      })
      .catch((error: unknown) => {
        state.opts.log?.(serveSays.internalErrorLog({message: fileErrorText(error) ?? (error as Error).message}))
        if (!res.headersSent) send(res, 500, serveSays.internalError())
        else res.destroy()
      })
  }
}

/** ProbeServer.shutdown: see there. */
async function shutdown(state: ServeState, server: http.Server, graceMs: number): Promise<{cancelled: number}> {
  state.closing = true
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  const until = Date.now() + graceMs
  const idle = () => state.probing === 0 && state.running.size === 0 && state.answering === 0
  while (!idle() && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
  state.stopping.abort()
  // the cancelled scrapes' 503s are written (bounded: a client that does not read is cut below)
  const written = Date.now() + 1000
  while (state.answering > 0 && Date.now() < written) await new Promise((r) => setTimeout(r, 10))
  server.closeAllConnections()
  await closed
  return {cancelled: state.cancelledProbes}
}

export function createProbeServer(opts: ServeOptions): ProbeServer {
  const state: ServeState = {
    opts,
    names: new Set(opts.targets),
    counts: new Map(),
    cache: new Map(),
    running: new Map(),
    places: places(opts.concurrency),
    stopping: new AbortController(),
    probing: 0,
    cancelledProbes: 0,
    answering: 0,
    closing: false,
  }
  const handler = handlerOf(state)
  const server = opts.web?.tls
    ? https.createServer({cert: opts.web.tls.cert, key: opts.web.tls.key, minVersion: 'TLSv1.2'}, handler)
    : http.createServer(handler)
  server.headersTimeout = 10_000
  server.requestTimeout = Math.max(opts.probeTimeoutMs + 10_000, 30_000)
  server.keepAliveTimeout = 65_000
  server.maxHeadersCount = 64

  return {
    server,
    inFlight: () => state.probing,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      }),
    shutdown: (graceMs = 10_000) => shutdown(state, server, graceMs),
  }
}

class Rejected extends Error {}
class Cancelled extends Error {}
