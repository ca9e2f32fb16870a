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

export function createProbeServer(opts: ServeOptions): ProbeServer {
  const names = new Set(opts.targets)
  const allowed = authenticator(opts.web ?? {users: new Map(), tokens: []})
  const counts = new Map<ProbeResult, number>()
  const count = (r: ProbeResult) => counts.set(r, (counts.get(r) ?? 0) + 1)
  const cache = new Map<string, Cached>()
  const running = new Map<string, Promise<{samples: Sample[]; timedOut: boolean}>>()
  let active = 0
  let probing = 0
  const waiters: (() => void)[] = []
  let closing = false
  // aborted when shutdown's grace is over: every probe still running or waiting is cut and answered 503.
  // Each probe listens only while it runs (a listener per probe on one long-lived promise would keep
  // every probe's result alive until shutdown).
  const stopping = new AbortController()
  const whenCancelled = (): {promise: Promise<'cancelled'>; done(): void} => {
    let listener = () => {}
    const promise = new Promise<'cancelled'>((resolve) => {
      listener = () => resolve('cancelled')
      if (stopping.signal.aborted) resolve('cancelled')
      else stopping.signal.addEventListener('abort', listener, {once: true})
    })
    return {promise, done: () => stopping.signal.removeEventListener('abort', listener)}
  }
  let cancelledProbes = 0
  let answering = 0

  const acquire = (deadline: number): Promise<boolean> => {
    if (active < opts.concurrency) {
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
  }
  const release = () => {
    active--
    const next = waiters.shift()
    if (next) next()
  }

  /**
   * One probe of `name`, finished or cut at `deadline` (or by shutdown: Cancelled); the run itself is not
   * interrupted (every step has a budget), its late result is dropped.
   */
  const probe = async (name: string, deadline: number): Promise<{samples: Sample[]; timedOut: boolean} | null> => {
    const cancel = whenCancelled()
    try {
      return await probeWith(name, deadline, cancel.promise)
    } finally {
      cancel.done()
    }
  }
  const probeWith = async (
    name: string,
    deadline: number,
    cancelled: Promise<'cancelled'>,
  ): Promise<{samples: Sample[]; timedOut: boolean} | null> => {
    const place = acquire(deadline)
    if ((await Promise.race([place, cancelled])) !== true) {
      // cancelled while waiting for a place: give it back if it came later
      void place.then((got) => got && release())
      return null
    }
    const started = Date.now()
    const finished: CheckResult[] = []
    probing++
    const run = opts
      .run(name, {
        timeoutMs: Math.max(100, Math.min(opts.stepTimeoutMs, deadline - started)),
        onCheck: (r) => finished.push(r),
      })
      .finally(() => {
        probing--
        release()
      })
    let timer: NodeJS.Timeout | undefined
    const cut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - started))
    })
    try {
      const report = await Promise.race([run, cut, cancelled])
      if (report === 'cancelled') {
        run.catch(() => {})
        cancelledProbes++
        throw new Cancelled()
      }
      if (report === 'timeout') {
        run.catch(() => {}) // it ends on its own (every step has a budget); its result is dropped
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

  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
    res.end(redactor.redact(body))
  }

  const exposition = (samples: Sample[], format: ExpositionFormat, defs = PROBE_METRICS) =>
    renderExposition(defs, samples, format)

  const handleProbe = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const targets = url.searchParams.getAll('target')
    const name = targets.length === 1 ? targets[0]! : undefined
    if (name === undefined || !names.has(name)) {
      count('unknown_target')
      return send(
        res,
        targets.length === 1 ? 404 : 400,
        targets.length === 1 ? 'unknown target\n' : 'one ?target=NAME\n',
      )
    }
    const format = negotiate(req.headers.accept)
    const header = Number.parseFloat(String(req.headers['x-prometheus-scrape-timeout-seconds'] ?? ''))
    const budget =
      Number.isFinite(header) && header > 0
        ? Math.min(opts.probeTimeoutMs, header * 1000 - (opts.timeoutOffsetMs ?? 500))
        : opts.probeTimeoutMs
    const deadline = Date.now() + Math.max(100, budget)
    const fresh = cache.get(name)
    if (fresh && Date.now() - fresh.at < opts.minIntervalMs) {
      count('cached')
      return send(res, 200, exposition(fresh.body, format), CONTENT_TYPE[format])
    }
    let shared = running.get(name)
    if (!shared) {
      const started = probe(name, deadline).then((r) => {
        if (r === null) throw new Rejected()
        if (!r.timedOut) cache.set(name, {at: Date.now(), body: r.samples})
        return r
      })
      shared = started
      running.set(name, started)
      started.then(
        () => running.delete(name),
        () => running.delete(name),
      )
    }
    try {
      const r = await shared
      count(
        r.timedOut
          ? 'timeout'
          : r.samples.some((s) => s.name === 'db_doctor_probe_success' && s.value === 1)
            ? 'success'
            : 'failure',
      )
      send(res, 200, exposition(r.samples, format), CONTENT_TYPE[format])
    } catch (error) {
      if (error instanceof Cancelled) {
        count('cancelled')
        return send(res, 503, serveSays.cancelled())
      }
      if (error instanceof Rejected) {
        count(closing ? 'cancelled' : 'rejected')
        return send(res, 503, closing ? serveSays.cancelled() : serveSays.busy())
      }
      throw error
    }
  }

  const handleMetrics = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const format = negotiate(req.headers.accept)
    const samples: Sample[] = [
      {name: 'db_doctor_build_info', labels: {version: opts.version}, value: 1},
      ...RESULTS.map((result) => ({name: 'db_doctor_probes', labels: {result}, value: counts.get(result) ?? 0})),
      {name: 'db_doctor_probes_in_flight', value: probing},
      {name: 'db_doctor_targets', value: names.size},
      {name: 'db_doctor_resident_memory_bytes', value: process.memoryUsage.rss()},
    ]
    send(res, 200, renderExposition(SERVE_METRICS, samples, format), CONTENT_TYPE[format])
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return send(res, 405, 'method not allowed\n')
    }
    if (url.pathname === '/-/healthy') return send(res, closing ? 503 : 200, closing ? 'shutting down\n' : 'OK\n')
    void allowed(req.headers.authorization)
      .then(async (ok) => {
        if (!ok) {
          count('unauthorized')
          res.setHeader('www-authenticate', 'Basic realm="db-doctor"')
          return send(res, 401, 'unauthorized\n')
        }
        if (url.pathname === '/probe') {
          // shutting down: a scrape arriving on a kept-alive connection starts no new probe
          if (closing) {
            count('cancelled')
            res.setHeader('connection', 'close')
            return send(res, 503, serveSays.cancelled())
          }
          answering++
          res.once('close', () => answering--)
          return handleProbe(req, res, url)
        }
        if (url.pathname === '/metrics') return handleMetrics(req, res)
        if (url.pathname === '/')
          return send(res, 200, 'db-doctor serve: /probe?target=NAME, /metrics, /-/healthy (docs/prometheus.md)\n')
        send(res, 404, 'not found\n')
      })
      .catch((error: unknown) => {
        opts.log?.(`serve: internal error: ${(error as Error).message}`)
        if (!res.headersSent) send(res, 500, 'internal error\n')
        else res.destroy()
      })
  }

  const server = opts.web?.tls
    ? https.createServer({cert: opts.web.tls.cert, key: opts.web.tls.key, minVersion: 'TLSv1.2'}, handler)
    : http.createServer(handler)
  server.headersTimeout = 10_000
  server.requestTimeout = Math.max(opts.probeTimeoutMs + 10_000, 30_000)
  server.keepAliveTimeout = 65_000
  server.maxHeadersCount = 64

  return {
    server,
    inFlight: () => probing,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      }),
    shutdown: async (graceMs = 10_000) => {
      closing = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const until = Date.now() + graceMs
      const idle = () => probing === 0 && running.size === 0 && answering === 0
      while (!idle() && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
      stopping.abort()
      // the cancelled scrapes' 503s are written (bounded: a client that does not read is cut below)
      const written = Date.now() + 1000
      while (answering > 0 && Date.now() < written) await new Promise((r) => setTimeout(r, 10))
      server.closeAllConnections()
      await closed
      return {cancelled: cancelledProbes}
    },
  }
}

class Rejected extends Error {}
class Cancelled extends Error {}
