// Issue 17 item 1: a hostile PostgreSQL peer (test/helpers/hostile-pg.mjs, a Node server on
// loopback speaking the wire protocol, plain or over TLS) must not crash or stall `check` / `wait` with default
// flags. Before the framing guard (src/probes/pg-framing.ts) an ErrorResponse declaring ~2 GB
// aborted V8 (exit 133, 3.5 GB RSS) and a slow answer overran --timeout by 2× and more.
// The real CLI, its exit code, its wall time against the configured budget (generous margins:
// not a benchmark), its peak RSS (GNU time, when present) and the catalogue code.
import {spawn} from 'node:child_process'
import net from 'node:net'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {createSelfSignedLeaf} from '../helpers/certs.js'
import {BIN, checkOf, cleanEnv, ROOT, watchCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {hostilePg} from '../helpers/hostile-pg.mjs'

const GNU_TIME = '/usr/bin/time'
const hasTime = existsSync(GNU_TIME)

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
  rssMb: number | null
}

function run(args: string[]): Promise<Run> {
  const started = performance.now()
  const [cmd, argv] = hasTime
    ? [GNU_TIME, ['-f', 'DBDOCTOR_RSS_KB=%M', process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]]
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const rss = /DBDOCTOR_RSS_KB=(\d+)/.exec(stderr)
      // GNU time reports a child killed by a signal as "Command terminated by signal N", exit 128+N
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: performance.now() - started,
        rssMb: rss ? Number(rss[1]) / 1024 : null,
      })
    })
  })
}

/** Runs jobs two at a time (the machine is shared; timings are of each run alone as far as possible). */
async function inPairs<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length)
  let next = 0
  await Promise.all(
    [0, 1].map(async () => {
      while (next < jobs.length) {
        const i = next++
        out[i] = await jobs[i]()
      }
    }),
  )
  return out
}

const DEFAULT_TIMEOUT_MS = 5000
/**
 * --timeout of the check runs against a drip (one byte every 100 ms: the message would take minutes): 4 s, so that
 * 1.5 × the budget leaves 2 s for a loaded machine and still tells "ends at --timeout" from the 2× overrun of before.
 */
const DRIP_TIMEOUT_MS = 4000
/** Node start-up, oclif, the checks before auth, on a loaded 2-core machine. */
const SLACK_MS = 12_000
const RSS_LIMIT_MB = 300

type Peer = Awaited<ReturnType<typeof hostilePg>>

/**
 * A broken proxy in front of the real test server: it forwards a connection to PostgreSQL while no
 * other is open, and hands one that arrives while another is open (the pooler check's second login,
 * made while the run's session is open) to a hostile peer. The server then listens on another port
 * than the app connects to, so the pooler check makes that second login.
 */
async function brokenProxy(hostile: Peer): Promise<{port: number; close: () => void}> {
  const info = inject('pg')
  let open = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const to = open > 0 ? hostile.port : info.port
    open++
    const upstream = net.connect(to, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    client.pipe(upstream).pipe(client)
    client.on('close', () => (open--, upstream.destroy()))
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}
const proxies: Array<{close: () => void}> = []
const peers: Record<string, Peer> = {}
const results: Record<string, Run> = {}

const CHECK_CASES = [
  ['huge-error-stream', 'E', 'message-too-long'],
  ['huge-error-drip', 'E', 'message-too-long'],
  ['huge-parameter-status', 'S', 'message-too-long'],
  ['notice-flood', 'N', 'notice-count'],
  ['huge-datarow', 'D', 'message-too-long'],
] as const

beforeAll(async () => {
  for (const s of [...CHECK_CASES.map((c) => c[0]), 'ssl-answer-stream', 'login-drip', 'query-drip'])
    peers[s] = await hostilePg(s)
  // the TLS probe and the session over TLS (the framing guard sits after TLS)
  const leaf = await createSelfSignedLeaf({commonName: 'localhost', ipAddresses: ['127.0.0.1']})
  for (const s of ['tls-handshake-drip', 'tls-huge-error', 'tls-login-drip'])
    peers[s] = await hostilePg(s, '127.0.0.1', {tls: {key: leaf.keyPem, cert: leaf.certPem}})
  // the pooler check's second login through a broken proxy (the first connection reaches the real server, over TLS)
  for (const s of ['tls-huge-error', 'tls-login-drip'] as const) {
    peers[`pooler ${s}`] = await hostilePg(s, '127.0.0.1', {tls: {key: leaf.keyPem, cert: leaf.certPem}})
    const proxy = await brokenProxy(peers[`pooler ${s}`])
    proxies.push(proxy)
    peers[`proxy ${s}`] = {...peers[`pooler ${s}`], port: proxy.port, close: async () => proxy.close()}
  }
  const proxied = (s: string) =>
    `postgres://${APP_USER}:${CANARY_PASSWORD}@127.0.0.1:${peers[`proxy ${s}`].port}/${APP_DATABASE}?sslmode=no-verify`
  const jobs: Array<[string, () => Promise<Run>]> = [
    ['check pooler tls-huge-error', () => run(['check', proxied('tls-huge-error'), '--json'])],
    [
      'check pooler tls-login-drip',
      () => run(['check', proxied('tls-login-drip'), '--json', '--timeout', String(DRIP_TIMEOUT_MS)]),
    ],
    ...CHECK_CASES.map(
      ([s]) => [`check ${s}`, () => run(['check', peers[s].url, '--json'])] as [string, () => Promise<Run>],
    ),
    ['check ssl-answer-stream', () => run(['check', peers['ssl-answer-stream'].url, '--json'])],
    [
      'check query-drip',
      () => run(['check', peers['query-drip'].url, '--json', '--only', 'auth', '--timeout', String(DRIP_TIMEOUT_MS)]),
    ],
    ['wait huge-error-stream', () => run(['wait', peers['huge-error-stream'].url, '--format', 'github'])],
    [
      'wait login-drip',
      () => run(['wait', peers['login-drip'].url, '--deadline', '3', '--timeout', '2000', '--format', 'json']),
    ],
    ['check tls-handshake-drip', () => run(['check', `${peers['tls-handshake-drip'].url}?sslmode=require`, '--json'])],
    [
      'wait tls-handshake-drip',
      () =>
        run([
          'wait',
          `${peers['tls-handshake-drip'].url}?sslmode=require`,
          ...['--deadline', '3', '--timeout', '700', '--interval', '100', '--format', 'json'],
        ]),
    ],
    ['check tls-huge-error', () => run(['check', `${peers['tls-huge-error'].url}?sslmode=no-verify`, '--json'])],
    [
      'wait huge-error-drip',
      () => run(['wait', peers['huge-error-drip'].url, '--deadline', '3', '--timeout', '2000', '--format', 'json']),
    ],
    [
      'wait tls-login-drip',
      () =>
        run([
          'wait',
          `${peers['tls-login-drip'].url}?sslmode=no-verify`,
          ...['--deadline', '3', '--timeout', '2000', '--format', 'json'],
        ]),
    ],
    [
      'wait query-drip',
      () => run(['wait', peers['query-drip'].url, '--deadline', '3', '--timeout', '2000', '--format', 'json']),
    ],
  ]
  // issue 17 item 7: long strings (quadratic before: 20 s for a 120K name, 15 s for a 100K targets line)
  const refused = 'postgres://app:secret@127.0.0.1:1'
  jobs.push([
    'long database name',
    () => run(['check', `${refused}/${'a'.repeat(120_000)}`, '--json', '--only', 'config,dns,tcp']),
  ])
  const targets = join(tmp, 'targets.txt')
  writeFileSync(targets, `t1 ${refused}/${'b:'.repeat(50_000)}\nt2 ${'x'.repeat(100_000)}\n`)
  jobs.push(['long targets line', () => run(['check', '--targets', targets, '--json', '--only', 'config,dns,tcp'])])
  const done = await inPairs(jobs.map(([, job]) => job))
  jobs.forEach(([name], i) => (results[name] = done[i]))
}, 240_000)

const tmp = mkdtempSync(join(tmpdir(), 'dbd-hostile-protocol-'))

afterAll(async () => {
  rmSync(tmp, {recursive: true, force: true})
  await Promise.all(Object.values(peers).map((p) => p.close()))
  for (const p of proxies) p.close()
})

function expectBounded(r: Run, budgetMs: number): void {
  expect(r.signal, r.stderr).toBeNull()
  expect([1], `exit ${r.code}\n${r.stderr.slice(-2000)}`).toContain(r.code)
  expect(r.ms).toBeLessThan(budgetMs + SLACK_MS)
  if (r.rssMb !== null) expect(r.rssMb).toBeLessThan(RSS_LIMIT_MB)
}

describe('a hostile PostgreSQL peer: check with default flags', () => {
  it.each(CHECK_CASES)('%s: AUTH_PROTOCOL_VIOLATION (%s, %s), exit 1, bounded time and memory', (s, type, kind) => {
    const r = results[`check ${s}`]
    expectBounded(r, DEFAULT_TIMEOUT_MS)
    const auth = checkOf(JSON.parse(r.stdout), 'auth')
    expect(auth.status).toBe('fail')
    expect(auth.code).toBe('AUTH_PROTOCOL_VIOLATION')
    expect(auth.evidence.kind).toBe(kind)
    expect(auth.evidence.messageType).toBe(type)
    // found at the header: long before any budget
    expect(auth.durationMs).toBeLessThan(DEFAULT_TIMEOUT_MS)
    expect(auth.summary).toMatch(/broke the PostgreSQL protocol/)
  })

  it('a 2 GB answer to SSLRequest: PG_NOT_POSTGRES, nothing more read', () => {
    const r = results['check ssl-answer-stream']
    expectBounded(r, DEFAULT_TIMEOUT_MS)
    const report = JSON.parse(r.stdout)
    expect(checkOf(report, 'postgres').code).toBe('PG_NOT_POSTGRES')
    expect(checkOf(report, 'auth').status).toBe('skip')
  })

  it('TLS accepted, then a handshake record dripped a byte every 100 ms: the TLS probe ends at --timeout (TLS_HANDSHAKE_TIMEOUT)', () => {
    const r = results['check tls-handshake-drip']
    expectBounded(r, DEFAULT_TIMEOUT_MS)
    const tls = checkOf(JSON.parse(r.stdout), 'tls')
    expect(tls.code).toBe('TLS_HANDSHAKE_TIMEOUT')
    expect(tls.evidence.stage).toBe('handshake')
    expect(tls.durationMs).toBeLessThan(DEFAULT_TIMEOUT_MS * 1.5)
  })

  it('wait retries a stalled TLS handshake (transient) until its deadline, instead of stopping at once', async () => {
    const r = results['wait tls-handshake-drip']
    expectBounded(r, 3000)
    expect(r.stderr).toMatch(/deadline of 3 s passed; last state TLS_HANDSHAKE_TIMEOUT/)
    // how many attempts fit in those 3 s depends on the machine (a loaded one took 2.6 s for the first, and the
    // deadline passed before a second): the retry is seen in a run with a long deadline, stopped once it retried
    const retried = /attempt 2, .*TLS_HANDSHAKE_TIMEOUT/
    const long = await watchCli(
      [
        'wait',
        `${peers['tls-handshake-drip'].url}?sslmode=require`,
        ...['--deadline', '30', '--timeout', '700', '--interval', '100', '--format', 'json'],
      ],
      (stderr, child) => {
        if (retried.test(stderr)) child.kill('SIGKILL')
      },
    )
    expect(long.stderr).toMatch(retried)
  })

  it('over TLS: a 2 GB ErrorResponse after the handshake is AUTH_PROTOCOL_VIOLATION (the guard sits after TLS)', () => {
    const r = results['check tls-huge-error']
    expectBounded(r, DEFAULT_TIMEOUT_MS)
    const auth = checkOf(JSON.parse(r.stdout), 'auth')
    expect(auth.code).toBe('AUTH_PROTOCOL_VIOLATION')
    expect(auth.evidence.messageType).toBe('E')
    expect(auth.durationMs).toBeLessThan(DEFAULT_TIMEOUT_MS)
  })

  it('a DataRow within limits dripped a byte every 100 ms: the query step ends at --timeout, not after it', () => {
    const r = results['check query-drip']
    expectBounded(r, DRIP_TIMEOUT_MS)
    const auth = checkOf(JSON.parse(r.stdout), 'auth')
    expect(auth.code).toBe('AUTH_CONNECTION_FAILED')
    expect(auth.evidence.code).toBe('ETIMEDOUT')
    // pg's query_timeout, then the step deadline destroys the socket (the ROLLBACK would wait for ever)
    expect(auth.durationMs).toBeLessThan(DRIP_TIMEOUT_MS * 1.5 + 500)
  })
})

describe("a hostile peer behind a proxy: the pooler check's second login", () => {
  it('a 2 GB ErrorResponse over TLS: POOLER_SECOND_LOGIN_FAILED (protocol), bounded, no password', () => {
    const r = results['check pooler tls-huge-error']
    expect(r.signal, r.stderr).toBeNull()
    expect(r.ms).toBeLessThan(DEFAULT_TIMEOUT_MS + SLACK_MS)
    if (r.rssMb !== null) expect(r.rssMb).toBeLessThan(RSS_LIMIT_MB)
    const report = JSON.parse(r.stdout)
    expect(checkOf(report, 'auth').status).toBe('pass')
    const pooler = checkOf(report, 'pooler')
    expect(pooler).toMatchObject({
      status: 'warn',
      code: 'POOLER_SECOND_LOGIN_FAILED',
      evidence: {secondLogin: {protocolLimit: {kind: 'message-too-long', messageType: 'E'}}},
    })
    expect(pooler.summary).toContain('broke the PostgreSQL protocol')
    expect(pooler.durationMs).toBeLessThan(DEFAULT_TIMEOUT_MS)
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  })

  it('a login dripped a byte every 100 ms: the second login ends at --timeout (timeout), exit bounded', () => {
    const r = results['check pooler tls-login-drip']
    expect(r.signal, r.stderr).toBeNull()
    expect(r.ms).toBeLessThan(DRIP_TIMEOUT_MS * 3 + SLACK_MS)
    const pooler = checkOf(JSON.parse(r.stdout), 'pooler')
    expect(pooler).toMatchObject({status: 'warn', code: 'POOLER_SECOND_LOGIN_FAILED'})
    expect(pooler.summary).toContain(`no answer within ${DRIP_TIMEOUT_MS} ms`)
    expect(pooler.durationMs).toBeLessThan(DRIP_TIMEOUT_MS * 1.5 + 500)
  })
})

describe('a hostile PostgreSQL peer: wait', () => {
  it('stops at once on a protocol violation (waiting cannot fix it), exit 1', () => {
    const r = results['wait huge-error-stream']
    expectBounded(r, DEFAULT_TIMEOUT_MS)
    expect(r.stderr).toMatch(/stopped: AUTH_PROTOCOL_VIOLATION cannot be fixed by waiting/)
  })

  it('1 GB ErrorResponse then a slow stream: stops at once, well inside --deadline 3, exit 1', () => {
    const r = results['wait huge-error-drip']
    expectBounded(r, 3000)
    expect(r.stderr).toMatch(/stopped: AUTH_PROTOCOL_VIOLATION cannot be fixed by waiting/)
  })

  it.each(['login-drip', 'query-drip', 'tls-login-drip'])('%s: ends at --deadline 3, exit 1', (s) => {
    const r = results[`wait ${s}`]
    expectBounded(r, 3000)
    expect(r.stderr).toMatch(/deadline of 3 s passed/)
    // a report of the last finished attempt, or of the only one, cut short by the deadline (said so)
    const report = JSON.parse(r.stdout) as {checks: {evidence: {cutBy?: string}}[]}
    expect(report.checks.length).toBeGreaterThan(0)
    if (report.checks.at(-1)!.evidence.cutBy) expect(r.stderr).toMatch(/the report is of the one cut short/)
  })
})

describe('long strings (issue 17 item 7)', () => {
  it.each(['long database name', 'long targets line'])('%s: a report within the budget, exit 0/1', (name) => {
    const r = results[name]
    expect(r.signal, r.stderr).toBeNull()
    expect([0, 1], r.stderr.slice(-2000)).toContain(r.code)
    expect(r.ms).toBeLessThan(DEFAULT_TIMEOUT_MS + SLACK_MS)
    expect(JSON.parse(r.stdout)).toBeTruthy()
  })
})
