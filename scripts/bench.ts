// `npm run bench`: speed and memory, as ratios — never a timed test.
// 1. A healthy TLS + SCRAM check against the local test server: median wall time
//    of `db-doctor check` against `node -e 0` and against `psql -c 'select 1'`.
// 3. Many targets and `wait` (scripts/bench-fleet.ts).
// 2. The network path in the fault lab (when namespaces can be made): time to a
//    verdict with one blackholed IPv6 address plus a working IPv4, and with every
//    address blackholed, against --timeout and against raw pg on the same name.
// 3. `db-doctor explain` on a 10 MB log on stdin (target < 2 s) and on hostile pastes.
// 4. Round trips: what a healthy `db-doctor check` costs the server over a bare node-postgres login,
//    counted from outside by a protocol-reading relay, per project kind and through PgBouncer
//    (scripts/bench-round-trips.ts). Counts, not timings.
import {spawnSync} from 'node:child_process'
import {existsSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin', 'run.js')
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null

interface Sample {
  ms: number
  rssKb: number | null
  code: number | null
}

function once(cmd: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const started = performance.now()
  const r = TIME
    ? spawnSync(TIME, ['-f', '%M', cmd, ...args], {env, encoding: 'utf8'})
    : spawnSync(cmd, args, {env, encoding: 'utf8'})
  const ms = performance.now() - started
  const rss = TIME ? Number.parseInt(r.stderr.trim().split('\n').at(-1) ?? '', 10) : Number.NaN
  return {ms, rssKb: Number.isFinite(rss) ? rss : null, code: r.status}
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function measure(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  once(cmd, args, env) // warm the file cache
  const samples = Array.from({length: RUNS}, () => once(cmd, args, env))
  const rss = samples.map((s) => s.rssKb).filter((x): x is number => x !== null)
  return {
    label,
    medianMs: median(samples.map((s) => s.ms)),
    maxRssMb: rss.length ? Math.max(...rss) / 1024 : null,
    exit: samples[0].code,
  }
}

async function healthyCheck() {
  const {startPostgres} = await import('../test/helpers/postgres.js')
  const {CANARY_PASSWORD} = await import('../test/helpers/constants.js')
  const pg = await startPostgres()
  try {
    const url = `postgres://app:${CANARY_PASSWORD}@127.0.0.1:${pg.port}/appdb?sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
    const env = {PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1'}
    const rows = [measure('node -e 0', process.execPath, ['-e', '0'], env)]
    rows.push(measure('db-doctor check (healthy, TLS + SCRAM)', process.execPath, ['--', BIN, 'check', url, '--json'], env))
    // What the check is made of, for reading the ratio: the CLI framework starting with no
    // work at all, and Node loading its TLS trust store (done once by any process that
    // verifies a certificate: with or without ssl.ca, Node parses its ~140 bundled roots).
    rows.push(measure('db-doctor --version (oclif start-up only)', process.execPath, ['--', BIN, '--version'], env))
    rows.push(measure("node: tls.createSecureContext()", process.execPath, ['-e', "require('node:tls').createSecureContext()"], env))
    // The floor for any Node tool that logs in: node-postgres alone, same URL, one select.
    const bare = path.join(os.tmpdir(), `dbd-bench-bare-${process.pid}.cjs`)
    writeFileSync(
      bare,
      `const {Client} = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'pg'))})\n` +
        'const c = new Client({connectionString: process.argv[2]})\n' +
        "c.connect().then(() => c.query('select 1')).then(() => c.end()).catch((e) => { console.error(e.message); process.exit(1) })\n",
    )
    try {
      rows.push(measure('bare node-postgres connect + select 1', process.execPath, [bare, url], env))
    } finally {
      rmSync(bare, {force: true})
    }
    const psql = spawnSync('psql', ['--version'], {encoding: 'utf8'})
    if (psql.status === 0) {
      rows.push(measure("psql -c 'select 1'", 'psql', [url, '-X', '-q', '-c', 'select 1'], env))
    }
    return rows
  } finally {
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

const healthy = await healthyCheck()
const base = healthy[0].medianMs
const psql = healthy.find((r) => r.label.startsWith('psql'))
console.log('\nHealthy check (median of %d runs)', RUNS)
console.table(
  healthy.map((r) => ({
    command: r.label,
    'median ms': Math.round(r.medianMs),
    '× node -e 0': (r.medianMs / base).toFixed(2),
    '× psql': psql ? (r.medianMs / psql.medianMs).toFixed(2) : 'n/a',
    'max RSS MB': r.maxRssMb?.toFixed(1) ?? 'n/a',
    exit: r.exit,
  })),
)
const ours = healthy[1]
const bare = healthy.find((r) => r.label.startsWith('bare'))
console.log(`db-doctor check = ${(ours.medianMs / base).toFixed(2)} × node -e 0 (target ≤ 3.5)`)
if (bare) {
  console.log(
    `bare node-postgres = ${(bare.medianMs / base).toFixed(2)} × node -e 0; db-doctor check = ${(ours.medianMs / bare.medianMs).toFixed(2)} × bare node-postgres`,
  )
}

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
    if (i % 20_000 === 0) log += 'Error: connect ETIMEDOUT 10.0.3.25:5432\nerror: password authentication failed for user "app"\n'
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
    rows.push(measure(label, '/bin/sh', ['-c', `"${process.execPath}" -- "${BIN}" explain --json < "${file}" > /dev/null`], {...process.env}))
  }
  rmSync(dir, {recursive: true, force: true})
  console.table(rows.map((r) => ({input: r.label, medianMs: Math.round(r.medianMs), maxRssMb: r.maxRssMb?.toFixed(0), exit: r.exit})))
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
