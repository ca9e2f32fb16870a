// Runs INSIDE a fault-lab namespace (see netns.ts). argv[2] is a JSON spec:
// {
//   peers?: [{kind: 'postgres'|'silent'|'http', host, port?}],   // started first (port 5432 by default)
//   checks?: {ids: ['dns','tcp','postgres'], fields: {host, port, ...}, timeoutMs},
//   pg?: {host, port?, connectionTimeoutMillis?}                    // a raw node-postgres connect
//   psql?: {conninfo}                                              // a real libpq connect with psql
// }
// Prints one JSON line: {results?, facts?, pg?}. Imports the TypeScript sources
// through jiti, so no build is needed.
import net from 'node:net'
import {createJiti} from 'jiti'

const spec = JSON.parse(process.argv[2])
const jiti = createJiti(import.meta.url)
const src = (p) => jiti.import(new URL(`../../src/${p}`, import.meta.url).href)

function errorPacket(message) {
  const body = Buffer.from(`SFATAL\0VFATAL\0C08006\0M${message}\0\0`)
  const head = Buffer.alloc(5)
  head.write('E', 0)
  head.writeUInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

// A Postgres-like peer: 'N' to SSLRequest; to a startup packet an ErrorResponse
// naming the address the client reached, so a pg client's error tells us where it landed.
function startPeer({kind, host, port = 5432}) {
  const server = net.createServer((s) => {
    s.on('error', () => {})
    if (kind === 'silent') return
    s.on('data', (d) => {
      if (kind === 'http') return void s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      if (d.length >= 8 && d.readUInt32BE(0) === 8 && d.readUInt32BE(4) === 80877103) return void s.write('N')
      s.end(errorPacket(`lab peer reached on ${s.localAddress}`))
    })
  })
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve(server)))
}

const out = {}
const servers = []
for (const p of spec.peers ?? []) servers.push(await startPeer(p))

if (spec.checks) {
  const [{runChecks}, {dnsCheck}, {tcpCheck}, {postgresCheck}] = await Promise.all([
    jiti.import(new URL('../helpers/run-checks.ts', import.meta.url).href),
    src('checks/dns.ts'),
    src('checks/tcp.ts'),
    src('checks/postgres.ts'),
  ])
  const label = 'DATABASE_URL (environment)'
  const source = {kind: 'env', name: 'DATABASE_URL', label}
  const fields = Object.fromEntries(Object.entries(spec.checks.fields).map(([k, v]) => [k, {value: String(v), source}]))
  const ctx = {
    config: {fields, primary: source, shadowed: [], problems: [], notFound: false},
    env: {...process.env},
    cwd: process.cwd(),
    options: {timeoutMs: spec.checks.timeoutMs, verbose: false, dnsServers: []},
    facts: {},
  }
  const registry = [dnsCheck, tcpCheck, postgresCheck].filter((c) => spec.checks.ids.includes(c.id))
  // these checks require 'config'; with config not run, requires are satisfied (only failures block)
  const t = performance.now()
  out.results = await runChecks(registry, ctx)
  out.totalMs = Math.round(performance.now() - t)
  out.facts = ctx.facts
}

if (spec.pg) {
  const {default: pg} = await import('pg')
  const client = new pg.Client({
    host: spec.pg.host,
    port: spec.pg.port ?? 5432,
    user: 'lab',
    database: 'lab',
    ssl: false,
    connectionTimeoutMillis: spec.pg.connectionTimeoutMillis ?? 0,
  })
  client.on('error', () => {})
  const t = performance.now()
  try {
    await client.connect()
    out.pg = {ok: true, ms: Math.round(performance.now() - t)}
  } catch (e) {
    const reached = /lab peer reached on (\S+)/.exec(e.message)?.[1] ?? null
    out.pg = {
      ok: !!reached,
      reached,
      ms: Math.round(performance.now() - t),
      error: reached ? null : `${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}`,
      name: e.name,
      code: e.code ?? null,
      errors: Array.isArray(e.errors) ? e.errors.map((x) => `${x.code} ${x.address}`) : undefined,
    }
  }
  await client.end().catch(() => {})
}

if (spec.psql) {
  // libpq for real: psql with a conninfo string; the peer's error names the address it reached
  const {spawn} = await import('node:child_process')
  const t = performance.now()
  const r = await new Promise((resolve) => {
    const child = spawn('psql', [spec.psql.conninfo, '-c', 'select 1'], {
      env: {...process.env, PGPASSWORD: 'lab'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.stderr.on('data', (d) => (text += d))
    child.on('error', (e) => resolve({code: null, text: e.message}))
    child.on('close', (code) => resolve({code, text}))
  })
  const reached = /lab peer reached on (\S+)/.exec(r.text)?.[1] ?? null
  out.psql = {ok: !!reached, reached, ms: Math.round(performance.now() - t), output: r.text.trim()}
}

for (const s of servers) s.close()
console.log(JSON.stringify(out))
process.exit(0)
