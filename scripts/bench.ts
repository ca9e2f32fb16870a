// `npm run bench`: speed and memory, as ratios — never a timed test.
// 1. Side by side in one run, alternating (min / median / max of BENCH_RUNS each), every client
//    connecting BY HOST NAME through a DNS server this bench runs (as users connect; an IP skips
//    DNS): a healthy TLS + SCRAM `db-doctor check` vs a bare node-postgres login (connect,
//    `select 1`, end) vs `node -e 0` vs psql; `db-doctor --version` vs `node -e 0`; peak RSS of
//    one target. The name is answered by test/lab/dns-server.mjs on a 127.x address on port 53,
//    and the bench re-runs itself in a private mount namespace (unshare -m) whose /etc/resolv.conf
//    names only that server: getaddrinfo, psql and the dns check's direct queries all ask it, and
//    nothing leaves the machine. Without unshare/root: by IP only, said so.
// 2. The network path in the fault lab (when namespaces can be made): time to a verdict with one
//    blackholed IPv6 address plus a working IPv4, and with every address blackholed.
// 3. `db-doctor explain` on a 10 MB log on stdin (target < 2 s) and on hostile pastes.
// 4. Round trips: what a healthy `db-doctor check` costs the server over a bare node-postgres login,
//    counted from outside by a protocol-reading relay (scripts/bench-round-trips.ts). Counts, not timings.
// 5. Many targets (12 vs one), 100 targets' memory, `wait` (scripts/bench-fleet.ts).
// BENCH_RUNS (default 15) runs per command; BENCH_ONLY=healthy stops after part 1.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin', 'run.js')
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
/** The bench's own DNS server: a 127.x address (all of 127/8 is loopback on Linux), port 53. */
const NS_HOST = process.env.DBD_BENCH_NS || `127.${53 + (process.pid % 150)}.${(process.pid >> 8) % 250}.53`
const DB_NAME = 'db.bench.test'

// Part 1 needs /etc/resolv.conf to name the bench's server: re-run this script in a private
// mount namespace with a resolv.conf bind-mounted over it (the machine's own file is untouched).
if (process.env.DBD_BENCH_NS === undefined && process.platform === 'linux') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-bench-ns-'))
  const resolv = path.join(dir, 'resolv.conf')
  writeFileSync(resolv, `nameserver ${NS_HOST}\n`)
  // jiti runs this file in-process (no loader in execArgv): re-run it through jiti's own CLI.
  const jiti = path.join(ROOT, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs')
  const argv = [process.execPath, jiti, fileURLToPath(import.meta.url), ...process.argv.slice(2)]
  const ns = (cmd: string[], stdio: 'inherit' | 'ignore') =>
    spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv, ...cmd],
      {stdio, env: {...process.env, DBD_BENCH_NS: NS_HOST}},
    )
  const probe = ns(['true'], 'ignore')
  if (probe.status === 0) {
    const r = ns(argv, 'inherit')
    rmSync(dir, {recursive: true, force: true})
    process.exit(r.status ?? 1)
  }
  rmSync(dir, {recursive: true, force: true})
  console.log(
    `(no private mount namespace here: ${probe.error?.message ?? `unshare exit ${probe.status}`}; by IP only)`,
  )
  process.env.DBD_BENCH_NS = ''
}
const BY_NAME = Boolean(process.env.DBD_BENCH_NS)

interface Sample {
  ms: number
  rssKb: number | null
  /** user + system CPU time of the process (less sensitive than wall time to other load on the machine) */
  cpuMs: number | null
  code: number | null
}

interface Cmd {
  label: string
  cmd: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd?: string
}

function once(c: Cmd): Sample {
  const started = performance.now()
  const opts = {env: c.env, cwd: c.cwd, encoding: 'utf8' as const, maxBuffer: 64 * 1024 * 1024}
  const r = TIME ? spawnSync(TIME, ['-f', '%M %U %S', c.cmd, ...c.args], opts) : spawnSync(c.cmd, c.args, opts)
  const ms = performance.now() - started
  const [rss, user, sys] = TIME ? (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number) : []
  return {
    ms,
    rssKb: Number.isFinite(rss) ? rss : null,
    cpuMs: Number.isFinite(user + sys) ? (user + sys) * 1000 : null,
    code: r.status,
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

interface Row {
  label: string
  medianMs: number
  minMs: number
  maxMs: number
  maxRssMb: number | null
  medianCpuMs: number | null
  exit: number | null
}

function summarise(label: string, samples: Sample[]): Row {
  const rss = samples.map((s) => s.rssKb).filter((x): x is number => x !== null)
  return {
    label,
    medianMs: median(samples.map((s) => s.ms)),
    minMs: Math.min(...samples.map((s) => s.ms)),
    maxMs: Math.max(...samples.map((s) => s.ms)),
    maxRssMb: rss.length ? Math.max(...rss) / 1024 : null,
    medianCpuMs: samples.every((s) => s.cpuMs !== null) ? median(samples.map((s) => s.cpuMs!)) : null,
    exit: samples.find((s) => s.code !== 0)?.code ?? samples[0].code,
  }
}

/** Each command RUNS times, alternating (a burst of load hits every command alike), after one warm-up each. */
function sideBySide(cmds: Cmd[]): Row[] {
  for (const c of cmds) once(c) // warm the file cache
  const samples = cmds.map(() => [] as Sample[])
  for (let i = 0; i < RUNS; i++) cmds.forEach((c, j) => samples[j].push(once(c)))
  return cmds.map((c, j) => summarise(c.label, samples[j]))
}

/** One command RUNS times (for the sections that compare against a single figure). */
function measure(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Row {
  return sideBySide([{label, cmd, args, env}])[0]
}

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

/** test/lab/dns-server.mjs on NS_HOST:53 in a child process, once it listens. */
async function startDnsServer(zone: Record<string, unknown>): Promise<ChildProcess> {
  const script = path.join(ROOT, 'test', 'lab', 'dns-server.mjs')
  const child = spawn(process.execPath, [script, '--host', NS_HOST, '--port', '53', '--zone', JSON.stringify(zone)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('READY') && resolve())
    child.on('exit', (code) => reject(new Error(`the bench's DNS server exited (${code})`)))
  })
  return child
}

async function healthyCheck(): Promise<Row[]> {
  const {startPostgres} = await import('../test/helpers/postgres.js')
  const {createCa, createLeaf} = await import('../test/helpers/certs.js')
  const {CANARY_PASSWORD} = await import('../test/helpers/constants.js')
  // The server's certificate names the bench's host name, so verify-full holds by name and by IP.
  const ca = await createCa({commonName: 'db-doctor bench CA'})
  const leaf = await createLeaf({
    commonName: DB_NAME,
    dnsNames: [DB_NAME, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    issuer: ca,
  })
  const pg = await startPostgres({tls: {certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem}})
  // Its own process: spawnSync below blocks this one's event loop.
  const dns = BY_NAME ? await startDnsServer({[DB_NAME]: {A: ['127.0.0.1']}}) : null
  // The user's app folder: a package.json that depends on pg (what the check models), nothing else.
  const app = mkdtempSync(path.join(os.tmpdir(), 'dbd-bench-app-'))
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({name: 'app', private: true, dependencies: {pg: '^8'}}))
  const bare = path.join(app, 'bare-login.cjs')
  // The floor for any Node tool that logs in: node-postgres alone, same URL, one select.
  writeFileSync(
    bare,
    `const {Client} = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'pg'))})\n` +
      'const c = new Client({connectionString: process.argv[2]})\n' +
      "c.connect().then(() => c.query('select 1')).then(() => c.end()).catch((e) => { console.error(e.message); process.exit(1) })\n",
  )
  try {
    const host = BY_NAME ? DB_NAME : '127.0.0.1'
    const tls = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
    const url = (h: string) => `postgres://app:${CANARY_PASSWORD}@${h}:${pg.port}/appdb?${tls}`
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      PGPASSFILE: '/nonexistent/db-doctor-bench',
    }
    const node = process.execPath
    const cmds: Cmd[] = [
      {label: 'node -e 0', cmd: node, args: ['-e', '0'], env},
      {
        label: `db-doctor check (healthy, TLS + SCRAM, ${host})`,
        cmd: node,
        args: ['--', BIN, 'check', url(host), '--json'],
        env,
        cwd: app,
      },
      {label: `bare node-postgres login (${host})`, cmd: node, args: [bare, url(host)], env, cwd: app},
      // what check's fast path (src/cli/fast-check.ts) saves: any DB_DOCTOR_* variable sends check through oclif
      {
        label: `db-doctor check through oclif (DB_DOCTOR_OCLIF=1, ${host})`,
        cmd: node,
        args: ['--', BIN, 'check', url(host), '--json'],
        env: {...env, DB_DOCTOR_OCLIF: '1'},
        cwd: app,
      },
    ]
    if (spawnSync('psql', ['--version']).status === 0)
      cmds.push({
        label: `psql -c 'select 1' (${host})`,
        cmd: 'psql',
        args: [url(host), '-X', '-q', '-c', 'select 1'],
        env,
        cwd: app,
      })
    cmds.push({label: 'db-doctor --version', cmd: node, args: ['--', BIN, '--version'], env})
    // For reading the ratios: what DNS costs (the same check by IP), and Node loading its TLS trust
    // store (done once by any process that verifies a certificate).
    if (BY_NAME)
      cmds.push({
        label: 'db-doctor check (same, by IP 127.0.0.1)',
        cmd: node,
        args: ['--', BIN, 'check', url('127.0.0.1'), '--json'],
        env,
        cwd: app,
      })
    cmds.push({
      label: 'node: tls.createSecureContext()',
      cmd: node,
      args: ['-e', "require('node:tls').createSecureContext()"],
      env,
    })
    const rows = sideBySide(cmds)
    return rows
  } finally {
    rmSync(app, {recursive: true, force: true})
    dns?.kill()
    await pg.stop()
  }
}

async function networkLab() {
  let lab: typeof import('../test/lab/netns.js')
  try {
    lab = await import('../test/lab/netns.js')
  } catch {
    return {skipped: 'the fault lab is not available in this checkout'}
  }
  const support = lab.labSupport()
  if (!support.ok) return {skipped: `network namespaces cannot be made here: ${support.reason}`}
  if (!('benchNetwork' in lab)) return {skipped: 'the fault lab has no network benchmark yet'}
  return (lab as unknown as {benchNetwork: () => Promise<unknown>}).benchNetwork()
}

console.log(`load average before: ${loadavg()} (${os.cpus().length} CPUs)`)
const healthy = await healthyCheck()
const base = healthy[0]
const ours = healthy[1]
const bare = healthy[2]
const psql = healthy.find((r) => r.label.startsWith('psql'))
const version = healthy.find((r) => r.label.startsWith('db-doctor --version'))!
console.log(
  `\nHealthy check, ${BY_NAME ? "by host name through the bench's DNS server" : 'BY IP (no DNS)'} (${RUNS} runs each, alternating, in this run)`,
)
console.table(
  healthy.map((r) => ({
    command: r.label,
    'min / median / max ms': `${Math.round(r.minMs)} / ${Math.round(r.medianMs)} / ${Math.round(r.maxMs)}`,
    '× node -e 0': (r.medianMs / base.medianMs).toFixed(2),
    '× bare login': (r.medianMs / bare.medianMs).toFixed(2),
    '× psql': psql ? (r.medianMs / psql.medianMs).toFixed(2) : 'n/a',
    'median CPU ms': r.medianCpuMs === null ? 'n/a' : Math.round(r.medianCpuMs),
    'max RSS MB': r.maxRssMb?.toFixed(1) ?? 'n/a',
    exit: r.exit,
  })),
)
// issue 18's bars
const bar = (x: number, target: number) => `${x.toFixed(2)} (target ≤ ${target}) ${x <= target ? 'ok' : 'OVER'}`
console.log(`db-doctor check     = ${bar(ours.medianMs / bare.medianMs, 1.5)} × bare node-postgres login`)
if (psql) console.log(`db-doctor check     = ${(ours.medianMs / psql.medianMs).toFixed(2)} × psql`)
console.log(`bare login          = ${(bare.medianMs / base.medianMs).toFixed(2)} × node -e 0`)
if (ours.medianCpuMs && bare.medianCpuMs)
  console.log(
    `CPU time: check    = ${(ours.medianCpuMs / bare.medianCpuMs).toFixed(2)} × the bare login's (a loaded machine moves this less than wall time)`,
  )
console.log(`db-doctor --version = ${bar(version.medianMs / base.medianMs, 1.5)} × node -e 0`)
console.log(`peak RSS, one check = ${ours.maxRssMb === null ? 'n/a' : bar(ours.maxRssMb, 70)} MB`)
console.log(
  `load average after: ${loadavg()} — above ~1 per CPU the ratios are not reliable (each process waits for a core)`,
)
if (healthy.some((r) => r.exit !== 0))
  console.log('WARNING: a command above did not exit 0: its time is not a healthy run')
if (process.env.BENCH_ONLY === 'healthy') process.exit(0)

console.log('\nNetwork path in the fault lab')
const net = await networkLab()
if (net && typeof net === 'object' && 'skipped' in net) console.log(`skipped: ${(net as {skipped: string}).skipped}`)
else console.table(net)

// 3. `db-doctor explain` on a 10 MB CI log (target: under 2 s), and on hostile pastes.
console.log('\nexplain: a 10 MB log on stdin (target < 2000 ms)')
{
  const dir = path.join(os.tmpdir(), `dbd-bench-explain-${process.pid}`)
  rmSync(dir, {recursive: true, force: true})
  spawnSync('mkdir', ['-p', dir])
  const size = 10 * 1024 * 1024
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
  const logLines = [
    '2026-11-30T03:00:01.123Z [migrate] INFO batch 12 applied in 14 ms (users, orders) status=ok',
    '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
    'npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.',
    'Step 4/9 : RUN npm ci --omit=dev',
  ]
  let log = ''
  for (let i = 0; log.length < size; i++) {
    log += `${logLines[i % logLines.length]}\n`
    if (i % 20_000 === 0)
      log += 'Error: connect ETIMEDOUT 10.0.3.25:5432\nerror: password authentication failed for user "app"\n'
  }
  const inputs: Record<string, string> = {
    'CI log': log,
    'one 10 MB line of "a"': fill('a'),
    'an error on every line': fill('Error: connect ETIMEDOUT 10.0.0.1:5432\n'),
    'one line of near-misses': fill('xECONNREFUSEDx'),
  }
  const rows = []
  for (const [label, text] of Object.entries(inputs)) {
    const file = path.join(dir, 'input.log')
    writeFileSync(file, text)
    rows.push(
      measure(label, '/bin/sh', ['-c', `"${process.execPath}" -- "${BIN}" explain --json < "${file}" > /dev/null`], {
        ...process.env,
      }),
    )
  }
  rmSync(dir, {recursive: true, force: true})
  console.table(
    rows.map((r) => ({
      input: r.label,
      'min / median / max ms': `${Math.round(r.minMs)} / ${Math.round(r.medianMs)} / ${Math.round(r.maxMs)}`,
      '× target (2000 ms)': (r.medianMs / 2000).toFixed(2),
      maxRssMb: r.maxRssMb?.toFixed(0),
      exit: r.exit,
    })),
  )
}

// 4. Round trips over a bare login (exact counts from a relay that reads the protocol).
console.log('\nRound trips after the login (counted by a relay on loopback; bare node-postgres = connect + select 1)')
{
  const {benchRoundTrips} = await import('./bench-round-trips.js')
  console.table(await benchRoundTrips())
}

// Many targets, half blackholed targets, 100 targets' memory, wait latency (scripts/bench-fleet.ts).
const {benchFleet} = await import('./bench-fleet.js')
await benchFleet(RUNS)
