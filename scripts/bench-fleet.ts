// Part of `npm run bench` (ratios, never asserted): many targets and `wait`.
// 1. 12 healthy targets in one run against the wall time of one (issue 12: ≤ 2 ×).
// 2. 12 targets, half blackholed, --timeout 2000, in the fault lab (≤ 2 × timeout + one check).
// 3. 100 targets: peak RSS (≤ 150 MB).
// 4. `wait`: time from the server accepting (a loopback forwarder starts listening) to exit 0,
//    against --interval.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin', 'run.js')
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const ENV = {PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', PGPASSFILE: '/nonexistent/db-doctor-bench'}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function run(args: string[]): {ms: number; code: number | null; rssMb: number | null} {
  const started = performance.now()
  const r = TIME
    ? spawnSync(TIME, ['-f', '%M', process.execPath, '--', BIN, ...args], {
        env: ENV,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      })
    : spawnSync(process.execPath, ['--', BIN, ...args], {env: ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
  const ms = performance.now() - started
  const rss = TIME ? Number.parseInt(r.stderr.trim().split('\n').at(-1) ?? '', 10) : Number.NaN
  return {ms, code: r.status, rssMb: Number.isFinite(rss) ? rss / 1024 : null}
}

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

function forwarder(to: {host: string; port: number}): net.Server {
  return net.createServer((s) => {
    const upstream = net.connect(to.port, to.host)
    s.on('error', () => upstream.destroy())
    upstream.on('error', () => s.destroy())
    s.pipe(upstream).pipe(s)
  })
}

export async function benchFleet(runs: number): Promise<void> {
  const {startPostgres} = await import('../test/helpers/postgres.js')
  const {CANARY_PASSWORD} = await import('../test/helpers/constants.js')
  const pg = await startPostgres()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-bench-fleet-'))
  try {
    const tls = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
    const url = (host = '127.0.0.1', port = pg.port) => `postgres://app:${CANARY_PASSWORD}@${host}:${port}/appdb?${tls}`
    const targetsFile = (n: number, line: (i: number) => string) => {
      const file = path.join(dir, `targets-${n}-${Math.random().toString(36).slice(2)}.jsonl`)
      writeFileSync(file, Array.from({length: n}, (_, i) => line(i)).join('\n') + '\n')
      return file
    }
    const n = Math.max(3, Math.min(runs, 7))

    // 1. 12 healthy targets vs one.
    run(['check', url(), '--json']) // warm the file cache
    const spread = (xs: number[]) =>
      `${Math.round(Math.min(...xs))} / ${Math.round(median(xs))} / ${Math.round(Math.max(...xs))}`
    const oneRuns: number[] = []
    const twelveRuns: number[] = []
    const twelveFile = targetsFile(12, (i) => JSON.stringify({name: `db${i}`, connection: url()}))
    // alternating, like part 1: a burst of load hits both alike
    for (let i = 0; i < n; i++) {
      oneRuns.push(run(['check', url(), '--json']).ms)
      twelveRuns.push(run(['check', '--targets', twelveFile, '--json']).ms)
    }
    const one = median(oneRuns)
    const twelve = median(twelveRuns)

    // 3. 100 targets: peak RSS (and wall time).
    const hundredFile = targetsFile(100, (i) => JSON.stringify({name: `db${i}`, connection: url()}))
    const hundred = run(['check', '--targets', hundredFile, '--format', 'jsonl'])

    console.log('\nMany targets (%d runs each, alternating; 100 targets: one run)', n)
    console.table([
      {
        run: 'check, 1 healthy target',
        'min / median / max ms': spread(oneRuns),
        '× one target': '1.00',
        'max RSS MB': 'n/a',
      },
      {
        run: 'check --targets, 12 healthy',
        'min / median / max ms': spread(twelveRuns),
        '× one target': (twelve / one).toFixed(2),
        'max RSS MB': 'n/a',
      },
      {
        run: 'check --targets, 100 healthy (jsonl)',
        'min / median / max ms': `one run: ${Math.round(hundred.ms)}`,
        '× one target': (hundred.ms / one).toFixed(2),
        'max RSS MB': hundred.rssMb?.toFixed(1) ?? 'n/a',
      },
    ])
    console.log(
      `12 healthy targets = ${(twelve / one).toFixed(2)} × one target (target ≤ 2); 100 targets peak RSS ${hundred.rssMb?.toFixed(0) ?? 'n/a'} MB (target ≤ 150), exit ${hundred.code}`,
    )

    // 2. 12 targets, half blackholed, in the fault lab.
    await halfBlackholed(pg, dir, url, one)

    // 4. wait latency: the forwarder starts listening 1.5 s after wait started.
    const rows: Record<string, string | number>[] = []
    for (const interval of [100, 250, 500, 1000]) {
      const lat: number[] = []
      for (let i = 0; i < Math.min(n, 5); i++) {
        const port = await freePort()
        const child = spawn(
          process.execPath,
          ['--', BIN, 'wait', url('127.0.0.1', port), '--interval', String(interval), '--deadline', '60', '--json'],
          {
            env: ENV,
            stdio: ['ignore', 'ignore', 'ignore'],
          },
        )
        const exited = new Promise<number>((resolve) => child.on('close', () => resolve(performance.now())))
        await new Promise((resolve) => setTimeout(resolve, 1500))
        const server = forwarder({host: '127.0.0.1', port: pg.port})
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
        const accepting = performance.now()
        lat.push((await exited) - accepting)
        server.close()
      }
      const m = median(lat)
      rows.push({
        '--interval ms': interval,
        'median ms accept → exit 0': Math.round(m),
        'max ms': Math.round(Math.max(...lat)),
        '× (interval + one check)': (m / (interval + one)).toFixed(2),
      })
    }
    console.log('\nwait: from the server accepting to exit 0 (it starts accepting 1.5 s into the wait)')
    console.table(rows)
  } finally {
    rmSync(dir, {recursive: true, force: true})
    await pg.stop()
  }
}

async function halfBlackholed(
  pg: {host: string; port: number; caFile: string},
  dir: string,
  url: (host?: string, port?: number) => string,
  one: number,
) {
  let lab: typeof import('../test/lab/netns.js')
  try {
    lab = await import('../test/lab/netns.js')
  } catch {
    console.log('\n12 targets, half blackholed: skipped (no fault lab in this checkout)')
    return
  }
  const support = lab.labSupport()
  if (!support.ok) {
    console.log(`\n12 targets, half blackholed: skipped (${support.reason})`)
    return
  }
  const sock = path.join(dir, 'pg.sock')
  const relay = net.createServer((s) => {
    const upstream = net.connect(pg.port, pg.host)
    s.on('error', () => upstream.destroy())
    upstream.on('error', () => s.destroy())
    s.pipe(upstream).pipe(s)
  })
  await new Promise<void>((resolve) => relay.listen(sock, resolve))
  try {
    const file = path.join(dir, 'half.jsonl')
    writeFileSync(
      file,
      Array.from({length: 12}, (_, i) =>
        JSON.stringify({name: `db${i}`, connection: i % 2 ? url(`192.0.2.${20 + i}`, 5432) : url('127.0.0.1', 5432)}),
      ).join('\n') + '\n',
    )
    const timeout = 2000
    const script = path.join(ROOT, 'test', 'lab', 'cli-in-lab.mjs')
    const times: number[] = []
    let exit: number | null = null
    for (let i = 0; i < 3; i++) {
      const r = await lab.runInLab({
        addresses: ['192.0.2.10/24'],
        blackhole: ['192.0.2.0/24'],
        script,
        args: [
          JSON.stringify({
            peers: [{host: '127.0.0.1', port: 5432, relay: sock}],
            args: ['check', '--targets', file, '--timeout', String(timeout), '--json'],
          }),
        ],
        env: ENV as Record<string, string>,
        timeoutMs: 120_000,
      })
      const out = lab.lastJsonLine<{code: number; ms: number}>(r.stdout)
      times.push(out.ms)
      exit = out.code
    }
    const m = median(times)
    console.log('\n12 targets, 6 blackholed, --timeout 2000 (fault lab, median of 3)')
    console.table([
      {
        run: 'check --targets (6 healthy, 6 blackholed)',
        'median ms': m,
        '× (2 × timeout + one check)': (m / (2 * timeout + one)).toFixed(2),
        exit,
      },
    ])
  } finally {
    relay.close()
  }
}

// Run on its own: `npx jiti scripts/bench-fleet.ts`.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await benchFleet(Number(process.env.BENCH_RUNS ?? 15))
