// Counting what a client costs the server, from outside: a TCP relay on loopback that reads the
// PostgreSQL protocol between a client (db-doctor, node-postgres, a migration tool) and a real server
// or pooler, and counts per connection what crosses it. Used by `npm run bench` and by tests that bound
// the round trips of a healthy run (never by timing).
//
//   const relay = await startCountingRelay({port: pg.port, tls: {ca: pg.caPem}})
//   // the client connects to relay.host:relay.port with sslmode=disable
//   relay.connections()  // one entry per TCP connection the client opened
//   await relay.close()
//
// - The relay listens on 127.0.0.2 with the SAME port number as the upstream (when free), so the
//   server's inet_server_port() equals the port the client dialled: db-doctor sees no proxy in
//   between (its pooler check would otherwise open a second login, which is right for a real proxy but
//   not what a direct connection costs).
// - Towards the client it speaks plaintext (it answers an SSLRequest or GSSENCRequest with 'N'); towards
//   the upstream it uses TLS when `tls` is given (the server's pg_hba may be hostssl-only). TLS only
//   changes what happens before the StartupMessage, not the messages after it, so the counts are those
//   of a TLS client.
// - A round trip after the login is a client message that makes the client wait for the server's
//   ReadyForQuery: a simple Query ('Q') or an extended-protocol Sync ('S'). node-postgres sends the next
//   one only after that ReadyForQuery, so each is one flight. The login is everything up to the first
//   ReadyForQuery (startup, authentication exchange, parameter status).
import net from 'node:net'
import tls from 'node:tls'

export interface RelayConnection {
  /** 'login' (a StartupMessage was sent), 'ssl-probe' (an SSLRequest, then nothing), 'cancel', 'other'. */
  kind: 'login' | 'ssl-probe' | 'cancel' | 'other'
  /** StartupMessage parameters (user, database, application_name, options…), when a login. */
  startup: Record<string, string>
  /** The server answered the login with ReadyForQuery. */
  loggedIn: boolean
  /** Client→server round trips after the login: each Query or Sync message. */
  roundTrips: number
  /** The simple-protocol query texts (first 200 characters each), in order. */
  queries: string[]
  /** Statements in those queries (split on ';' outside quotes; an estimate for the report only). */
  statements: number
  /** The login ended with an ErrorResponse instead of ReadyForQuery. */
  loginError: string | null
  closed: boolean
}

export interface CountingRelay {
  host: string
  port: number
  connections(): RelayConnection[]
  /** Forget the connections seen so far (between scenarios). */
  reset(): void
  /** Resolves once every connection seen so far is closed on both sides (bounded by `ms`). */
  settled(ms?: number): Promise<void>
  close(): Promise<void>
}

export interface StartCountingRelayOptions {
  /** The upstream (server or pooler). */
  host?: string
  port: number
  /** TLS to the upstream: the CA to verify it with (servername `localhost`). */
  tls?: {ca: string; servername?: string}
  /** Where to listen. Default 127.0.0.2, the upstream's port number when free, else an ephemeral port. */
  listenHost?: string
}

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102

/** Splits a byte stream into PostgreSQL messages; `untypedFirst`: the first message has no type byte. */
class Framer {
  private buf: Buffer = Buffer.alloc(0)
  constructor(private untypedFirst: boolean) {}
  /** Feeds bytes; returns complete messages as {type, body} (type '' for an untyped one). */
  push(chunk: Buffer): {type: string; body: Buffer}[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
    const out: {type: string; body: Buffer}[] = []
    for (;;) {
      if (this.untypedFirst) {
        if (this.buf.length < 4) break
        const len = this.buf.readInt32BE(0)
        if (len < 4 || this.buf.length < len) break
        out.push({type: '', body: this.buf.subarray(4, len)})
        this.buf = this.buf.subarray(len)
        // after an SSLRequest / GSSENCRequest the next message is untyped again
        const code = out.at(-1)!.body.length >= 4 ? out.at(-1)!.body.readInt32BE(0) : 0
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.untypedFirst = false
        continue
      }
      if (this.buf.length < 5) break
      const len = this.buf.readInt32BE(1)
      if (len < 4 || this.buf.length < 1 + len) break
      out.push({type: String.fromCharCode(this.buf[0]!), body: this.buf.subarray(5, 1 + len)})
      this.buf = this.buf.subarray(1 + len)
    }
    return out
  }
}

function startupParams(body: Buffer): Record<string, string> {
  const parts = body.subarray(4).toString('utf8').split('\0')
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) out[parts[i]!] = parts[i + 1]!
  return out
}

/** Statements in a simple query (';' outside quotes, dollar quoting ignored: an estimate). */
function countStatements(sql: string): number {
  let n = 0
  let inS = false
  let inD = false
  let seen = false
  for (const ch of sql) {
    if (ch === "'" && !inD) inS = !inS
    else if (ch === '"' && !inS) inD = !inD
    else if (ch === ';' && !inS && !inD) {
      if (seen) n++
      seen = false
      continue
    }
    if (!/\s/.test(ch)) seen = true
  }
  return n + (seen ? 1 : 0)
}

async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}

export async function startCountingRelay(opts: StartCountingRelayOptions): Promise<CountingRelay> {
  const upstreamHost = opts.host ?? '127.0.0.1'
  const listenHost = opts.listenHost ?? '127.0.0.2'
  let conns: RelayConnection[] = []
  const open = new Set<Promise<void>>()
  const sockets = new Set<net.Socket>()

  const server = net.createServer((client) => {
    sockets.add(client)
    const rec: RelayConnection = {
      kind: 'other',
      startup: {},
      loggedIn: false,
      roundTrips: 0,
      queries: [],
      statements: 0,
      loginError: null,
      closed: false,
    }
    conns.push(rec)
    let upstream: net.Socket | tls.TLSSocket | null = null
    let upstreamReady: Promise<net.Socket | tls.TLSSocket> | null = null
    const pending: Buffer[] = []
    const fromClient = new Framer(true)
    const fromServer = new Framer(false)
    let done!: () => void
    const finished = new Promise<void>((r) => (done = r))
    open.add(finished)
    const end = () => {
      if (rec.closed) return
      rec.closed = true
      client.destroy()
      upstream?.destroy()
      sockets.delete(client)
      open.delete(finished)
      done()
    }
    client.on('error', end)
    client.on('close', end)

    const connectUpstream = (): Promise<net.Socket | tls.TLSSocket> =>
      new Promise((resolve, reject) => {
        const raw = net.connect({host: upstreamHost, port: opts.port})
        raw.once('error', reject)
        raw.once('connect', () => {
          if (!opts.tls) return resolve(raw)
          const req = Buffer.alloc(8)
          req.writeInt32BE(8, 0)
          req.writeInt32BE(SSL_REQUEST, 4)
          raw.write(req)
          raw.once('data', (answer) => {
            if (answer[0] !== 0x53)
              return reject(
                new Error(
                  `the upstream answered the SSLRequest with ${JSON.stringify(answer.subarray(0, 1).toString())}`,
                ),
              )
            const secure = tls.connect({socket: raw, ca: opts.tls!.ca, servername: opts.tls!.servername ?? 'localhost'})
            secure.once('error', reject)
            secure.once('secureConnect', () => resolve(secure))
          })
        })
      })

    const forward = (data: Buffer) => {
      if (upstream) upstream.write(data)
      else pending.push(data)
    }

    client.on('data', (chunk) => {
      for (const m of fromClient.push(chunk)) {
        if (m.type === '') {
          const code = m.body.length >= 4 ? m.body.readInt32BE(0) : 0
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            if (rec.kind === 'other') rec.kind = 'ssl-probe'
            client.write('N')
            continue
          }
          rec.kind = code === CANCEL_REQUEST ? 'cancel' : 'login'
          if (rec.kind === 'login') rec.startup = startupParams(m.body)
          const raw = Buffer.alloc(4 + m.body.length)
          raw.writeInt32BE(4 + m.body.length, 0)
          m.body.copy(raw, 4)
          upstreamReady ??= connectUpstream()
          upstreamReady.then(
            (up) => {
              upstream = up
              up.on('data', (d: Buffer) => {
                for (const s of fromServer.push(d)) {
                  if (s.type === 'Z') rec.loggedIn = true
                  else if (s.type === 'E' && !rec.loggedIn) rec.loginError = errorFields(s.body)
                }
                if (!client.destroyed) client.write(d)
              })
              up.on('error', end)
              up.on('close', end)
              up.write(raw)
              for (const p of pending.splice(0)) up.write(p)
            },
            () => end(),
          )
          continue
        }
        const raw = Buffer.alloc(5 + m.body.length)
        raw.write(m.type, 0, 'latin1')
        raw.writeInt32BE(4 + m.body.length, 1)
        m.body.copy(raw, 5)
        if (rec.loggedIn && (m.type === 'Q' || m.type === 'S')) {
          rec.roundTrips++
          if (m.type === 'Q') {
            const sql = m.body.subarray(0, Math.max(0, m.body.length - 1)).toString('utf8')
            rec.queries.push(sql.slice(0, 200))
            rec.statements += countStatements(sql)
          }
        }
        forward(raw)
      }
    })
  })

  let port = 0
  if (await portFree(listenHost, opts.port)) port = opts.port
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, listenHost, () => resolve())
  })
  const address = server.address() as net.AddressInfo

  return {
    host: listenHost,
    port: address.port,
    connections: () => conns.map((c) => ({...c, startup: {...c.startup}, queries: [...c.queries]})),
    reset() {
      conns = []
    },
    async settled(ms = 10_000) {
      await Promise.race([Promise.all([...open]), new Promise((r) => setTimeout(r, ms).unref())])
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function errorFields(body: Buffer): string {
  const fields: Record<string, string> = {}
  let i = 0
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!)
    const end = body.indexOf(0, i + 1)
    if (end < 0) break
    fields[code] = body.subarray(i + 1, end).toString('utf8')
    i = end + 1
  }
  return `${fields.C ?? '?'} ${fields.M ?? ''}`.trim()
}

/** What a run cost, summed over the relay's connections. */
export interface RoundTripSummary {
  /** TCP connections opened through the relay. */
  connections: number
  /** Of those, logins (StartupMessage sent). */
  logins: number
  /** Round trips after the login, per login, in connection order. */
  perLogin: number[]
  /** Sum of perLogin. */
  roundTrips: number
  /** Statements sent after the logins (estimate). */
  statements: number
}

export function summarize(conns: readonly RelayConnection[]): RoundTripSummary {
  const logins = conns.filter((c) => c.kind === 'login')
  const perLogin = logins.map((c) => c.roundTrips)
  return {
    connections: conns.length,
    logins: logins.length,
    perLogin,
    roundTrips: perLogin.reduce((a, b) => a + b, 0),
    statements: logins.reduce((a, c) => a + c.statements, 0),
  }
}

// ---------------------------------------------------------------------------------------------
// The scenarios the bench and the round-trip test measure: one app folder and one database each,
// in the state a healthy project has after its tool migrated once (one migration applied by the
// real knex / node-pg-migrate CLI, or Prisma's table made with Prisma's own DDL), one more pending.

export type ScenarioName = 'url-only' | 'knex' | 'prisma' | 'node-pg-migrate'

/** Prisma's own migrations table (prisma-engines, sql-schema-connector, postgres flavour). */
export const PRISMA_MIGRATIONS_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
  )`

export interface RoundTripScenario {
  name: ScenarioName
  app: import('./migration-tools.js').App
  db: import('./migration-tools.js').ScenarioDatabase
  /** DATABASE_URL for the app: through `relay` (plaintext to the relay), else direct over TLS. */
  env(relay?: {host: string; port: number}): Record<string, string>
  cleanup(): Promise<void>
}

export async function makeRoundTripScenario(
  pg: import('./postgres.js').PgInfo,
  name: ScenarioName,
  password: string,
): Promise<RoundTripScenario> {
  const {createScenarioDatabase, makeApp, runTool} = await import('./migration-tools.js')
  const db = await createScenarioDatabase(pg, `rt_${name}`)
  const tlsQuery = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile ?? '')}`
  const env = (relay?: {host: string; port: number}): Record<string, string> => ({
    DATABASE_URL: relay
      ? `postgres://app:${password}@${relay.host}:${relay.port}/${db.name}?sslmode=disable`
      : db.url(password, tlsQuery),
  })
  const knexMigration = (t: string) =>
    `exports.up = (knex) => knex.schema.createTable('${t}', (t) => { t.increments() })\nexports.down = (knex) => knex.schema.dropTable('${t}')\n`
  const npmMigration = `exports.up = (pgm) => { pgm.sql('select 1') }\nexports.down = () => {}\n`
  let app: import('./migration-tools.js').App
  try {
    if (name === 'url-only') {
      app = makeApp({files: {}, migrationsDir: false})
    } else if (name === 'knex') {
      app = makeApp({
        files: {
          'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`,
          'migrations/001_a.js': knexMigration('a'),
        },
        packages: ['knex', 'pg'],
      })
      const r = await runTool(app, ['knex', 'migrate:latest'], {env: env()})
      if (r.code !== 0) throw new Error(`knex migrate:latest failed: ${r.stderr}`)
      const {writeFileSync} = await import('node:fs')
      writeFileSync(`${app.dir}/migrations/002_b.js`, knexMigration('b'))
    } else if (name === 'node-pg-migrate') {
      const pkg = JSON.stringify({
        name: 'app',
        private: true,
        dependencies: {'node-pg-migrate': '9', pg: '8'},
        scripts: {migrate: 'node-pg-migrate up'},
      })
      app = makeApp({
        files: {'package.json': pkg, 'migrations/1700000000000_a.js': npmMigration},
        packages: ['node-pg-migrate', 'pg'],
      })
      const r = await runTool(app, ['node-pg-migrate', 'up'], {env: env()})
      if (r.code !== 0) throw new Error(`node-pg-migrate up failed: ${r.stderr}`)
      const {writeFileSync} = await import('node:fs')
      writeFileSync(`${app.dir}/migrations/1700000000001_b.js`, npmMigration)
    } else {
      app = makeApp({
        files: {
          'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
          'prisma/migrations/20240101000000_init/migration.sql': 'CREATE TABLE users (id int);\n',
          'prisma/migrations/20240201000000_add_email/migration.sql': 'ALTER TABLE users ADD email text;\n',
        },
        migrationsDir: false,
      })
      const {default: pgLib} = await import('pg')
      const c = new pgLib.Client({
        connectionString: env().DATABASE_URL.replace(/\?.*$/, ''),
        ssl: {ca: pg.caPem, servername: 'localhost'},
      })
      await c.connect()
      try {
        await c.query(PRISMA_MIGRATIONS_DDL)
        await c.query('CREATE TABLE users (id int)')
        await c.query(
          `insert into _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) values ('a', 'x', now(), '20240101000000_init', 1)`,
        )
      } finally {
        await c.end()
      }
    }
  } catch (error) {
    await db.drop().catch(() => {})
    throw error
  }
  return {
    name,
    app,
    db,
    env,
    async cleanup() {
      app.cleanup()
      await db.drop().catch(() => {})
    },
  }
}

/** node-postgres alone through the relay: connect, one `select 1`, end — the floor any Node tool pays. */
export async function bareLogin(url: string): Promise<void> {
  const {default: pgLib} = await import('pg')
  const c = new pgLib.Client({connectionString: url})
  await c.connect()
  try {
    await c.query('select 1')
  } finally {
    await c.end()
  }
}
