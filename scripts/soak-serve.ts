// `npm run soak`: `db-doctor serve` under a long run of probes, with its memory watched — a bench, not
// a timed test. Starts a test PostgreSQL (TLS + SCRAM; or uses SOAK_URL), the built CLI's `serve` with one
// healthy target and one wrong-password target, --min-interval 0 (every request is a full probe), then
// sends SOAK_PROBES (default 10000) probes, SOAK_CONCURRENCY (default 4) at a time, alternating targets.
// It reads serve's own db_doctor_resident_memory_bytes after every SOAK_SAMPLE probes and reports the
// median RSS of the second and of the last quarter of the run, its peak, and probes per second. Exit 1 when a
// probe answered anything but 200 with the expected probe_success, when a password shows in a body, or
// when the median RSS of the last quarter of the run exceeds that of the second quarter by more than
// SOAK_MAX_GROWTH_MB (default 40).
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PROBES = Number(process.env.SOAK_PROBES ?? 10_000)
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 4)
const SAMPLE = Number(process.env.SOAK_SAMPLE ?? Math.max(10, Math.floor(PROBES / 50)))
const MAX_GROWTH_MB = Number(process.env.SOAK_MAX_GROWTH_MB ?? 40)

export async function soak(): Promise<number> {
  const {CANARY_PASSWORD, APP_USER, APP_DATABASE} = await import('../test/helpers/constants.js')
  let url = process.env.SOAK_URL
  let caFile = process.env.SOAK_CA_FILE
  let stopPg: (() => Promise<void>) | undefined
  if (!url) {
    const {startPostgres} = await import('../test/helpers/postgres.js')
    const pg = await startPostgres()
    stopPg = () => pg.stop()
    caFile = pg.caFile
    url = `postgres://${APP_USER}:${CANARY_PASSWORD}@${pg.host}:${pg.port}/${APP_DATABASE}`
  }
  const tls = caFile ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}` : ''
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-soak-'))
  const wrong = url.replace(CANARY_PASSWORD, 'wrong-soak-pw')
  writeFileSync(
    path.join(dir, 'targets.jsonl'),
    `${JSON.stringify({name: 'ok', connection: url + tls})}\n${JSON.stringify({name: 'wrong', connection: wrong + tls})}\n`,
  )
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'run.js'),
      'serve',
      '--targets',
      'targets.jsonl',
      '--listen',
      '127.0.0.1:0',
      '--min-interval',
      '0',
      '--concurrency',
      String(CONCURRENCY),
    ],
    {cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, NO_COLOR: '1'}},
  )
  let stderr = ''
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)
      if (m) resolve(Number(m[1]))
    })
    child.once('close', () => reject(new Error(`serve exited: ${stderr}`)))
  })
  const base = `http://127.0.0.1:${port}`
  const rss = async () => {
    const body = await (await fetch(`${base}/metrics`)).text()
    return Number(/^db_doctor_resident_memory_bytes (\d+)/m.exec(body)?.[1] ?? NaN) / 1024 / 1024
  }
  const samples: {probes: number; rssMb: number}[] = []
  let done = 0
  let bad = 0
  // of the wrong answers, the probes that outlasted their deadline (a loaded machine): serve says so itself
  let timedOut = 0
  let leaked = 0
  const started = performance.now()
  const worker = async (w: number) => {
    for (let i = w; i < PROBES; i += CONCURRENCY) {
      const target = i % 2 === 0 ? 'ok' : 'wrong'
      const res = await fetch(`${base}/probe?target=${target}`)
      const body = await res.text()
      const want = target === 'ok' ? 'db_doctor_probe_success 1' : 'db_doctor_probe_success 0'
      if (res.status !== 200 || !body.includes(want)) {
        bad++
        if (/^db_doctor_probe_timed_out 1$/m.test(body)) timedOut++
      }
      if (body.includes(CANARY_PASSWORD) || body.includes('wrong-soak-pw')) leaked++
      done++
      if (done % SAMPLE === 0) samples.push({probes: done, rssMb: await rss()})
    }
  }
  await Promise.all(Array.from({length: CONCURRENCY}, (_, w) => worker(w)))
  const seconds = (performance.now() - started) / 1000
  samples.push({probes: done, rssMb: await rss()})
  child.kill('SIGTERM')
  const code = await new Promise<number | null>((r) => child.on('close', r))
  rmSync(dir, {recursive: true, force: true})
  await stopPg?.()

  // RSS swings with the collector: compare medians, the second quarter of the run against the last one
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  const quarter = (q: number) =>
    median(samples.filter((s) => s.probes > (PROBES * q) / 4 && s.probes <= (PROBES * (q + 1)) / 4).map((s) => s.rssMb))
  const warm = {probes: Math.round(PROBES / 2), rssMb: quarter(1)}
  const last = {rssMb: quarter(3)}
  const peak = Math.max(...samples.map((s) => s.rssMb))
  const growth = last.rssMb - warm.rssMb
  const fmt = (n: number) => n.toFixed(1)
  console.log(
    `soak: ${done} probes (${CONCURRENCY} at a time) in ${seconds.toFixed(1)} s: ${fmt(done / seconds)} probes/s`,
  )
  console.log(
    `soak: RSS (median) in the second quarter ${fmt(warm.rssMb)} MB, in the last ${fmt(last.rssMb)} MB, peak ${fmt(peak)} MB; growth ${fmt(growth)} MB (bound ${MAX_GROWTH_MB} MB)`,
  )
  console.log(`soak: RSS by probes: ${samples.map((s) => `${s.probes}:${fmt(s.rssMb)}`).join(' ')}`)
  console.log(
    `soak: wrong answers ${bad} (of which timed out ${timedOut}), bodies with a password ${leaked}, serve exit after SIGTERM ${code}`,
  )
  if (code !== 0) console.log(`soak: serve's stderr (last lines):\n${stderr.trim().split('\n').slice(-20).join('\n')}`)
  return bad === 0 && leaked === 0 && code === 0 && growth <= MAX_GROWTH_MB ? 0 : 1
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  soak().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
