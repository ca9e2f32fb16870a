// `db-doctor wait` end to end: the built CLI against the real test PostgreSQL (TLS, SCRAM),
// behind a loopback TCP forwarder that starts listening only a few seconds later; a port
// that never opens (deadline); a wrong password (stops at once); SIGTERM (last state).
import net from 'node:net'
import {afterEach, describe, expect, inject, it} from 'vitest'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {runCli, watchCli, type CliResult} from '../helpers/cli.js'
import type {Report} from '../../src/core/types.js'

const pg = inject('pg')
const verify = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
const url = (port: number, password = CANARY_PASSWORD) =>
  `postgres://${APP_USER}:${password}@${pg.host}:${port}/${APP_DATABASE}?${verify}`

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, pg.host, resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

const servers: net.Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

/** Forwards every connection on `port` to the test server, bytes untouched (TLS and SCRAM end to end). */
async function forward(port: number): Promise<net.Server> {
  const server = net.createServer((s) => {
    const upstream = net.connect(pg.port, pg.host)
    s.on('error', () => upstream.destroy())
    upstream.on('error', () => s.destroy())
    s.pipe(upstream).pipe(s)
  })
  servers.push(server)
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, pg.host, resolve))
  return server
}

function noCanary(r: {stdout: string; stderr: string}) {
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
}

const attempts = (stderr: string) =>
  stderr.split('\n').filter((l) => /^db-doctor wait: attempt \d+, \d+\.\d s: /.test(l))

describe('db-doctor wait against real components', () => {
  it('waits for a port that starts forwarding to the server after two refused attempts, then exits 0 with the healthy report', async () => {
    const port = await freePort()
    // the port opens once wait has failed twice on it (seen on stderr): a fixed time could land before the
    // second attempt on a loaded machine, where the CLI's start-up alone can take seconds
    let opened = false
    const {code, stdout, stderr} = await watchCli(
      ['wait', url(port), '--interval', '200', '--deadline', '45', '--json'],
      (err) => {
        if (opened || attempts(err).filter((l) => l.includes('TCP_REFUSED')).length < 2) return
        opened = true
        void forward(port)
      },
    )
    const r = {stdout, stderr}
    noCanary(r)
    expect(code, stderr).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.summary.verdict).toBe('healthy')
    expect(report.checks.find((c: {id: string}) => c.id === 'auth').status).toBe('pass')
    const lines = attempts(stderr)
    expect(lines.length).toBeGreaterThanOrEqual(3)
    expect(lines[0]).toMatch(/TCP_REFUSED: .*\(retry in 0\.2 s\)$/)
    expect(lines.at(-1)).toMatch(/: healthy$/)
    expect(stderr).toMatch(/^db-doctor wait: healthy after \d+ attempts/m)
    expect(opened).toBe(true)
  })

  it('once the port accepts, the next attempt starts at the next --interval poll, not when the grown backoff ends', async () => {
    // The port opens as soon as the backoff has grown to 2 s or more (seen on stderr), not at a fixed time: on a
    // loaded machine a fixed time lands anywhere in the backoff. The healthy attempt then starts about one --interval
    // later, far before the backoff would have ended.
    const port = await freePort()
    let opened = false
    const {code, stdout, stderr} = await watchCli(
      ['wait', url(port), '--interval', '300', '--deadline', '45', '--format', 'json'],
      (err) => {
        const retry = /\(retry in (\d+\.\d) s\)$/.exec(attempts(err).at(-1) ?? '')
        if (!opened && retry && Number(retry[1]) >= 2) {
          opened = true
          void forward(port)
        }
      },
    )
    noCanary({stdout, stderr})
    expect(code, stderr).toBe(0)
    const lines = attempts(stderr)
    const parse = (l: string) => {
      const m = /attempt (\d+), (\d+\.\d) s: .*?(?:\(retry in (\d+\.\d) s\))?$/.exec(l)!
      return {elapsed: Number(m[2]), retry: m[3] ? Number(m[3]) : undefined}
    }
    const before = parse(lines.at(-2)!)
    const healthy = parse(lines.at(-1)!)
    expect(lines.at(-1)).toMatch(/: healthy$/)
    expect(before.retry!).toBeGreaterThanOrEqual(2)
    // An attempt's line is printed when it ends: the healthy attempt started its checks' time earlier (they run one
    // after the other), which a loaded machine stretches. It started before the grown backoff would have ended.
    const checksSeconds =
      JSON.parse(stdout).checks.reduce((sum: number, c: {durationMs: number}) => sum + c.durationMs, 0) / 1000
    expect(healthy.elapsed - checksSeconds).toBeLessThan(before.elapsed + before.retry!)
  })

  it('a server that accepts and never answers: the deadline cuts the only attempt, and --json still reports what it found', async () => {
    // the step budget (--timeout 20 s) outlasts the deadline (2 s): no attempt can finish
    const silent = net.createServer(() => {})
    servers.push(silent)
    await new Promise<void>((resolve) => silent.listen(0, pg.host, resolve))
    const port = (silent.address() as net.AddressInfo).port
    const r = await runCli(['wait', url(port), '--deadline', '2', '--timeout', '20000', '--json'])
    noCanary(r)
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain('db-doctor wait: deadline of 2 s passed')
    expect(r.stderr).toMatch(/no attempt finished; the report is of the one cut short \(\d+ checks\)/)
    const report = JSON.parse(r.stdout) as Report
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]))
    expect(byId.tcp?.status).toBe('pass')
    // the server check that was running when the deadline passed: skipped, saying so; none after it ran
    const last = report.checks.at(-1)!
    expect(last).toMatchObject({id: 'postgres', status: 'skip', code: null, evidence: {cutBy: 'deadline'}})
    expect(last.summary).toMatch(/^Not finished: the deadline passed \d+ ms into the postgres check/)
    expect(report.summary.verdict).toBe('failing')
    expect(r.ms).toBeLessThan(20_000) // the deadline, not the 20 s step budget
  })

  it('a port that never opens: the deadline passes, exit 1, the last state on stdout', async () => {
    const port = await freePort()
    const r = await runCli(['wait', url(port), '--interval', '200', '--deadline', '3', '--format', 'text'])
    noCanary(r)
    expect(r.code, r.stderr).toBe(1)
    expect(attempts(r.stderr).length).toBeGreaterThanOrEqual(2)
    expect(r.stderr).toContain('db-doctor wait: deadline of 3 s passed; last state TCP_REFUSED')
    expect(r.stdout).toContain('TCP_REFUSED')
    expect(r.stdout).toMatch(/failed, \d+ skipped: failing/)
    expect(r.ms).toBeLessThan(20_000) // generous: 3 s deadline + start-up on a loaded machine
  })

  it('a wrong password stops at once: AUTH_PASSWORD_FAILED cannot be fixed by waiting', async () => {
    const r = await runCli(['wait', url(pg.port, 'not-the-' + 'password-7'), '--deadline', '60', '--json'])
    noCanary(r)
    expect(r.code, r.stderr).toBe(1)
    expect(attempts(r.stderr)).toHaveLength(1)
    expect(r.stderr).toContain('db-doctor wait: stopped: AUTH_PASSWORD_FAILED cannot be fixed by waiting')
    expect(JSON.parse(r.stdout).checks.find((c: {id: string}) => c.id === 'auth').code).toBe('AUTH_PASSWORD_FAILED')
    expect(r.ms).toBeLessThan(30_000) // far below the 60 s deadline
  })

  it('a healthy target: one attempt, exit 0', async () => {
    const r = await runCli(['wait', url(pg.port), '--format', 'markdown'])
    noCanary(r)
    expect(r.code, r.stderr).toBe(0)
    expect(attempts(r.stderr)).toHaveLength(1)
    expect(r.stdout).toContain('## db-doctor: healthy')
  })

  it('SIGTERM ends it promptly with the last state reported (exit 1)', async () => {
    const port = await freePort()
    let signalled = 0
    const {code, stdout, stderr} = await watchCli(
      ['wait', url(port), '--interval', '300', '--deadline', '120', '--json'],
      (err, child) => {
        if (!signalled && attempts(err).length >= 2) {
          signalled = performance.now()
          child.kill('SIGTERM')
        }
      },
    )
    const r: Pick<CliResult, 'stdout' | 'stderr'> = {stdout, stderr}
    noCanary(r)
    expect(signalled).toBeGreaterThan(0)
    expect(performance.now() - signalled).toBeLessThan(10_000) // generous; the loop itself stops at once
    expect(code, stderr).toBe(1)
    expect(stderr).toContain('db-doctor wait: interrupted; last state TCP_REFUSED')
    expect(JSON.parse(stdout).summary.verdict).toBe('failing')
  })

  it('a second signal as the stop is reported: exit 1 at once, never death by the signal (143/130)', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const port = await freePort()
      let sent = false
      let again = false
      const {
        code,
        signal: by,
        stderr,
      } = await watchCli(['wait', url(port), '--interval', '300', '--deadline', '120', '--json'], (err, child) => {
        // the first signal ends the wait; the second comes as its end is written, before the exit
        if (!sent && attempts(err).length >= 1) {
          sent = true
          child.kill(signal)
        } else if (sent && !again && err.includes('db-doctor wait: interrupted')) {
          again = true
          child.kill(signal)
        }
      })
      expect(sent).toBe(true)
      expect(by, stderr).toBeNull()
      expect(code, stderr).toBe(1)
    }
  })

  it('usage errors exit 2 with one line', async () => {
    for (const args of [
      ['wait', '--deadline', '0'],
      ['wait', '--interval', 'soon'],
      ['wait', '--output', 'xml=r.xml'],
    ]) {
      const r = await runCli(args)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stdout).toBe('')
    }
  })
})
