// A real Prometheus (Debian's 2.x, as a non-root user on loopback) scrapes `db-doctor serve` (the built
// CLI) with the multi-target relabelling of docs/prometheus.md and evaluates the shipped alerting rules.
// serve runs inside the fault lab (test/lab) where 192.0.2.20 is blackholed; relays carry its PostgreSQL
// connections out to real servers: the shared test server (a healthy target, a wrong password, a
// database whose knex lock a real, still running `knex migrate:latest` holds) and a second server whose
// certificate expires in 10 days. Prometheus reaches serve through a relay too. The tests read the series,
// their labels and the pending alerts from Prometheus's HTTP API; `promtool check metrics` checks what
// /probe and /metrics answer; an unknown target is 404 and nothing is dialled; no scrape, series or log
// holds a password; SIGTERM ends serve with exit 0.
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {stringify, parse} from 'yaml'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {createCa, createLeaf} from '../helpers/certs.js'
import {cleanEnv, ROOT} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {appEnv, createScenarioDatabase, makeApp, type App, type ScenarioDatabase} from '../helpers/migration-tools.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'
import {prometheusSupport, promtool, startPrometheus, type Prometheus} from '../helpers/prometheus.js'
import {labSupport, lastJsonLine, runInLab, type LabResult} from '../lab/netns.js'

const prom = prometheusSupport()
const lab = labSupport()
const built = existsSync(path.join(ROOT, 'dist', 'bundle', 'cli.js'))
const info = inject('pg')
const WRONG = 'wrong-serve-' + 'pw-83'
const DAY = 86_400_000
const SERVE_PORT = 9754 // inside the lab
const NAMES = ['healthy', 'wrongpw', 'locked', 'expiring', ...(lab.ok ? ['blackholed'] : [])]

const noSecret = (text: string) => {
  expect(text).not.toContain(CANARY_PASSWORD)
  expect(text).not.toContain(WRONG)
}

describe.skipIf(!prom.ok || !built)('Prometheus scrapes db-doctor serve', () => {
  let app: App
  let db: ScenarioDatabase
  let expiring: PgServer
  let knexRun: ChildProcess
  let prometheus: Prometheus
  let serveUrl: string
  let canaryConnections = 0
  let canaryAt = 0
  const closers: (() => unknown)[] = []
  const scraped: string[] = []
  let served: Promise<LabResult | {code: number | null; stderr: string}>
  let stopServe: () => void
  let dir: string

  const get = async (pathAndQuery: string, headers: Record<string, string> = {}) => {
    const res = await fetch(serveUrl + pathAndQuery, {headers})
    const body = await res.text()
    scraped.push(body)
    return {status: res.status, body, type: res.headers.get('content-type')}
  }

  beforeAll(async () => {
    // the expiring server: a real PostgreSQL whose certificate (127.0.0.1, localhost) ends in 10 days
    const root = await createCa({commonName: 'db-doctor serve test root'})
    const leaf = await createLeaf({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      issuer: root,
      notBefore: new Date(Date.now() - 80 * DAY),
      notAfter: new Date(Date.now() + 10 * DAY),
    })
    const starting = startPostgres({tls: {certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: root.certPem}})
    db = await createScenarioDatabase(info, 'serve_locked')
    expiring = await starting

    // the app: a knexfile whose environments read their URL from the environment (serve resolves it per probe)
    const env = (name: string) => `{client: 'pg', connection: process.env.${name}}`
    app = makeApp({
      files: {
        'knexfile.js': `module.exports = {healthy: ${env('HEALTHY_URL')}, wrongpw: ${env('WRONG_URL')}, locked: ${env('LOCKED_URL')}}\n`,
        'migrations/001_a.js': `exports.up = (knex) => knex.schema.createTable('a', (t) => { t.increments() })\nexports.down = () => {}\n`,
        // opts out of knex's wrapping transaction: knex commits its lock row, then hangs here
        'migrations/002_slow.js': `exports.config = {transaction: false}\nexports.up = () => new Promise((r) => setTimeout(r, 120000))\nexports.down = () => {}\n`,
      },
      packages: ['knex', 'pg'],
    })
    dir = app.dir
    const tls = (caFile: string) => `sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`
    const url = (pw: string, port: number, database: string, caFile = info.caFile) =>
      `postgres://${APP_USER}:${pw}@127.0.0.1:${port}/${database}?${tls(caFile)}`

    // a real knex run takes the lock and keeps running
    knexRun = spawn(
      process.execPath,
      [path.join(dir, 'node_modules', '.bin', 'knex'), 'migrate:latest', '--env', 'locked'],
      {
        cwd: dir,
        env: appEnv(app, {LOCKED_URL: db.url(CANARY_PASSWORD, tls(info.caFile))}),
        stdio: 'ignore',
        detached: true,
      },
    )
    closers.push(() => {
      try {
        process.kill(-knexRun.pid!, 'SIGKILL')
      } catch {}
    })
    const c = new pg.Client({connectionString: db.url(CANARY_PASSWORD), ssl: {ca: info.caPem, servername: 'localhost'}})
    await c.connect()
    try {
      let locked = false
      for (let i = 0; i < 300 && !locked; i++) {
        locked = await c
          .query('select is_locked from knex_migrations_lock')
          .then((r) => r.rows.some((x) => x.is_locked === 1))
          .catch(() => false)
        if (!locked) await new Promise((r) => setTimeout(r, 100))
      }
      expect(locked).toBe(true)
    } finally {
      await c.end()
    }

    // a listener that must never see a connection (an unknown target names it)
    const canary = net.createServer((s) => {
      canaryConnections++
      s.destroy()
    })
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r))
    closers.push(() => canary.close())
    const canaryPort = (canary.address() as net.AddressInfo).port

    // serve: inside the lab (relays to the real servers), else on loopback directly
    const sock = (name: string) => path.join(dir, `${name}.sock`)
    const relayOut = async (name: string, port: number) => {
      const server = net.createServer((s) => {
        const up = net.connect(port, '127.0.0.1')
        s.on('error', () => up.destroy())
        up.on('error', () => s.destroy())
        s.pipe(up).pipe(s)
      })
      await new Promise<void>((r) => server.listen(sock(name), r))
      closers.push(() => server.close())
    }
    const inLab = lab.ok
    const pgPort = inLab ? 5432 : info.port
    const expPort = inLab ? 5433 : expiring.port
    canaryAt = inLab ? 5499 : canaryPort
    writeFileSync(
      path.join(dir, 'targets.jsonl'),
      [
        {name: 'expiring', connection: url(CANARY_PASSWORD, expPort, APP_DATABASE, expiring.caFile)},
        ...(inLab
          ? [
              {
                name: 'blackholed',
                connection: url(CANARY_PASSWORD, 5432, APP_DATABASE).replace('127.0.0.1', '192.0.2.20'),
              },
            ]
          : []),
      ]
        .map((t) => JSON.stringify(t))
        .join('\n') + '\n',
    )
    const serveEnv = {
      HEALTHY_URL: url(CANARY_PASSWORD, pgPort, APP_DATABASE),
      WRONG_URL: url(WRONG, pgPort, APP_DATABASE),
      LOCKED_URL: url(CANARY_PASSWORD, pgPort, db.name),
    }
    const stopFile = path.join(dir, 'stop')
    const args = ['serve', '--targets', 'targets.jsonl', '--all-envs', '--timeout', '1500', '--min-interval', '60000']
    let port: number
    if (inLab) {
      await relayOut('pg', info.port)
      await relayOut('expiring', expiring.port)
      await relayOut('canary', canaryPort)
      port = await new Promise<number>((r) => {
        const s = net.createServer()
        s.listen(0, '127.0.0.1', () => {
          const p = (s.address() as net.AddressInfo).port
          s.close(() => r(p))
        })
      })
      // loopback port → Unix socket → serve inside the lab
      const front = net.createServer((s) => {
        const up = net.connect(sock('http'))
        s.on('error', () => up.destroy())
        up.on('error', () => s.destroy())
        s.pipe(up).pipe(s)
      })
      await new Promise<void>((r) => front.listen(port, '127.0.0.1', r))
      closers.push(() => front.close())
      served = runInLab({
        addresses: ['192.0.2.10/24'],
        blackhole: ['192.0.2.20'],
        script: path.join(ROOT, 'test', 'serve', 'serve-in-lab.mjs'),
        cwd: dir,
        args: [
          JSON.stringify({
            relays: [
              {host: '127.0.0.1', port: 5432, sock: sock('pg')},
              {host: '127.0.0.1', port: 5433, sock: sock('expiring')},
              {host: '127.0.0.1', port: 5499, sock: sock('canary')},
            ],
            args: [...args, '--listen', `127.0.0.1:${SERVE_PORT}`],
            port: SERVE_PORT,
            http: sock('http'),
            stop: stopFile,
          }),
        ],
        env: cleanEnv(serveEnv),
        timeoutMs: 120_000,
      })
      stopServe = () => writeFileSync(stopFile, '')
    } else {
      const child = spawn(
        process.execPath,
        ['--', path.join(ROOT, 'bin', 'run.js'), ...args, '--listen', '127.0.0.1:0'],
        {
          cwd: dir,
          env: cleanEnv(serveEnv),
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      )
      let stderr = ''
      port = await new Promise<number>((resolve, reject) => {
        child.stderr!.on('data', (d) => {
          stderr += d
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)
          if (m) resolve(Number(m[1]))
        })
        child.on('close', () => reject(new Error(`serve exited: ${stderr}`)))
      })
      served = new Promise((resolve) => child.on('close', (code) => resolve({code, stderr})))
      stopServe = () => child.kill('SIGTERM')
    }
    serveUrl = `http://127.0.0.1:${port}`
    closers.push(() => stopServe())
    // serve is up when /-/healthy answers
    for (let i = 0; ; i++) {
      const ok = await fetch(`${serveUrl}/-/healthy`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) break
      if (i > 200) throw new Error('serve did not come up')
      await new Promise((r) => setTimeout(r, 100))
    }

    // Prometheus with the docs' scrape config (targets and prober address swapped in) and the shipped rules
    const docs = readFileSync(path.join(ROOT, 'docs', 'prometheus.md'), 'utf8')
    const block = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.includes('scrape_configs:'))!
    const config = parse(block) as {scrape_configs: any[]}
    const [probeJob, ownJob] = config.scrape_configs
    probeJob.scrape_interval = '4s'
    probeJob.scrape_timeout = '4s'
    probeJob.static_configs = [{targets: NAMES}]
    probeJob.relabel_configs.at(-1).replacement = `127.0.0.1:${port}`
    ownJob.static_configs = [{targets: [`127.0.0.1:${port}`]}]
    ownJob.scrape_interval = '4s'
    prometheus = await startPrometheus(
      stringify({global: {evaluation_interval: '1s'}, rule_files: ['rules.yml'], scrape_configs: [probeJob, ownJob]}),
      {'rules.yml': readFileSync(path.join(ROOT, 'docs', 'prometheus', 'rules.yml'), 'utf8')},
    )
    closers.push(() => prometheus.stop())
  }, 180_000)

  afterAll(async () => {
    for (const c of closers.reverse()) await c()
    await expiring?.stop()
    await db?.drop().catch(() => {})
    app?.cleanup()
    for (const s of scraped) noSecret(s)
  })

  it('every target is scraped (up 1) and answers its root cause; the series carry the codes as labels', async () => {
    const up = await prometheus.waitFor(
      'up{job="db-doctor"}',
      (r) => r.length === NAMES.length && r.every((s) => s.value[1] === '1'),
      40_000,
    )
    expect(up.map((s) => s.metric.instance).sort()).toEqual([...NAMES].sort())
    // a probe cut by its deadline on a busy machine answers without its code: wait for the next scrapes
    // (a complete result is then reused for --min-interval, so the series below come from one probe)
    const expected: Record<string, Record<string, string>> = {
      wrongpw: {verdict: 'failing', check: 'auth', code: 'AUTH_PASSWORD_FAILED'},
      locked: {verdict: 'failing', check: 'migrations', code: 'MIGRATION_LOCKED'},
      expiring: {verdict: 'degraded', check: 'tls', code: 'TLS_EXPIRING_SOON'},
      ...(lab.ok ? {blackholed: {verdict: 'failing', check: 'tcp', code: 'TCP_TIMEOUT'}} : {}),
    }
    const verdicts = await prometheus.waitFor(
      'db_doctor_verdict',
      (r) =>
        r.length === NAMES.length &&
        Object.entries(expected).every(([instance, labels]) =>
          r.some((s) => s.metric.instance === instance && Object.entries(labels).every(([k, v]) => s.metric[k] === v)),
        ) &&
        r.some((s) => s.metric.instance === 'healthy' && s.metric.verdict !== 'failing'),
      60_000,
    )
    const by = Object.fromEntries(verdicts.map((s) => [s.metric.instance, s.metric]))
    expect(by.healthy).toMatchObject({verdict: expect.stringMatching(/^(healthy|degraded)$/)})
    for (const [instance, labels] of Object.entries(expected)) expect(by[instance]).toMatchObject(labels)
    const success = Object.fromEntries(
      (await prometheus.query('db_doctor_probe_success')).map((s) => [s.metric.instance, s.value[1]]),
    )
    expect(success).toMatchObject({healthy: '1', wrongpw: '0', locked: '0', expiring: '1'})
    if (lab.ok) expect(success.blackholed).toBe('0')

    // every finding is a series; labels are closed sets
    const locks = await prometheus.query('db_doctor_check_status{code="MIGRATION_LOCKED"}')
    expect(locks.map((s) => s.metric)).toEqual([
      expect.objectContaining({instance: 'locked', check: 'migrations', status: 'fail'}),
    ])
    const codes: string[] = await prometheus.api('label/code/values')
    expect(codes).toEqual(expect.arrayContaining(['AUTH_PASSWORD_FAILED', 'MIGRATION_LOCKED', 'TLS_EXPIRING_SOON']))
    for (const c of codes) expect(c).toMatch(/^([A-Z][A-Z0-9_]*)?$/)

    // numbers: lock held and its age, slots, certificate expiry in ~10 days, phases
    expect((await prometheus.query('db_doctor_migration_locked{instance="locked"}'))[0]?.value[1]).toBe('1')
    // knex's lock row has no timestamp and can outlive every session: no age is claimed for it
    expect(await prometheus.query('db_doctor_migration_lock_age_seconds{instance="locked"}')).toEqual([])
    expect(await prometheus.query('db_doctor_migration_lock_min_age_seconds{instance="locked"}')).toEqual([])
    const free = await prometheus.query('db_doctor_connection_slots_free{instance="healthy"}')
    expect(Number(free[0]?.value[1])).toBeGreaterThan(0)
    const days = await prometheus.query(
      '(db_doctor_tls_earliest_cert_expiry_timestamp_seconds{instance="expiring"} - time()) / 86400',
    )
    expect(Number(days[0]?.value[1])).toBeGreaterThan(9)
    expect(Number(days[0]?.value[1])).toBeLessThan(10.1)
    const phases = await prometheus.query('db_doctor_phase_duration_seconds{instance="healthy"}')
    expect(phases.map((s) => s.metric.phase).sort()).toEqual(expect.arrayContaining(['login', 'tcp', 'tls']))

    // the shipped rules, evaluated by this Prometheus on these series (pending: their `for` has not passed)
    const alerts = await (async () => {
      for (let i = 0; ; i++) {
        const a: {alerts: {labels: Record<string, string>}[]} = await prometheus.api('alerts')
        const names = a.alerts.map((x) => `${x.labels.alertname}/${x.labels.instance}`)
        const want = [
          'DbDoctorLoginFailing/wrongpw',
          'DbDoctorMigrationBlocked/locked',
          'DbDoctorMigrationLockHeldAgeUnknown/locked',
          'DbDoctorCertificateExpiringSoon/expiring',
          ...(lab.ok ? ['DbDoctorDatabaseUnreachable/blackholed'] : []),
        ]
        if (want.every((w) => names.includes(w)) || i > 160) return names
        await new Promise((r) => setTimeout(r, 250))
      }
    })()
    const context = JSON.stringify({
      alerts,
      verdicts: (await prometheus.query('db_doctor_verdict')).map((v) => v.metric),
    })
    expect(alerts, context).toEqual(
      expect.arrayContaining([
        'DbDoctorLoginFailing/wrongpw',
        'DbDoctorMigrationBlocked/locked',
        'DbDoctorMigrationLockHeldAgeUnknown/locked',
        'DbDoctorCertificateExpiringSoon/expiring',
        ...(lab.ok ? ['DbDoctorDatabaseUnreachable/blackholed'] : []),
      ]),
    )
    expect(alerts.filter((a) => a.endsWith('/healthy'))).toEqual([])

    // nothing Prometheus stored holds a password
    const series = await prometheus.api('series', {'match[]': '{job=~"db-doctor.*"}'})
    noSecret(JSON.stringify(series))
  }, 90_000)

  it('/probe and /metrics pass promtool check metrics, in both formats', async () => {
    const probe = await get('/probe?target=healthy')
    expect(probe.status).toBe(200)
    expect(probe.type).toBe('text/plain; version=0.0.4; charset=utf-8')
    const om = await get('/probe?target=wrongpw', {accept: 'application/openmetrics-text; version=1.0.0'})
    expect(om.type).toContain('application/openmetrics-text')
    expect(om.body.endsWith('# EOF\n')).toBe(true)
    for (const body of [probe.body, (await get('/metrics')).body]) {
      const r = await promtool(['check', 'metrics'], body)
      expect(r.code, r.stdout + r.stderr + body).toBe(0)
    }
    const own = await get('/metrics')
    expect(own.body).toMatch(/^db_doctor_probes_total\{result="failure"\} [1-9]/m)
    expect(own.body).toContain(`db_doctor_targets ${NAMES.length}`)
  })

  it('an unknown target is 404 and nothing is dialled; a second target parameter is refused', async () => {
    const before = canaryConnections
    for (const target of [
      `postgres://${APP_USER}:${CANARY_PASSWORD}@127.0.0.1:${canaryAt}/${APP_DATABASE}`,
      `127.0.0.1:${canaryAt}`,
      'nope',
      'healthy ',
    ]) {
      const r = await get(`/probe?target=${encodeURIComponent(target)}`)
      expect(r.status, target).toBe(404)
    }
    expect((await get('/probe?target=healthy&target=wrongpw')).status).toBe(400)
    expect((await get('/probe')).status).toBe(400)
    await new Promise((r) => setTimeout(r, 300))
    expect(canaryConnections).toBe(before)
    expect(canaryConnections).toBe(0)
  })

  it('SIGTERM: serve stops gracefully (exit 0); its log holds no password', async () => {
    stopServe()
    const out = await served
    const result = 'stdout' in out ? lastJsonLine<{code: number; stderr: string}>(out.stdout) : out
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('SIGTERM')
    noSecret(result.stderr)
  })
})
