// explain recognises the pooler wordings as real peers print them: node-postgres errors produced through
// a real PgBouncer 1.18 (a refused startup parameter, a named prepared statement in transaction mode, the
// client limit), Supavisor's answers (its source's wordings, sent by a PostgreSQL front on loopback), and
// the Prisma messages quoted in prisma/prisma issues (cited in src/catalogue/pooler.ts).
import pg from 'pg'
import {crashText, pgConnectError} from '../helpers/app-errors.js'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'
import {errorResponse, startupErrorPeer} from '../lab/peers.mjs'

async function explainCodes(text: string): Promise<string[]> {
  const r = await runCli(['explain', '--json'], {input: text})
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout).matches.map((m: {code: string | null}) => m.code)
}

/** What an app's crash prints for a node-postgres error: the stack and the code. */
const printed = crashText
const connectError = pgConnectError

const support = pgbouncerSupport()

describe.skipIf(!support.ok)('explain: node-postgres through a real PgBouncer 1.18', () => {
  const info = inject('pg')
  let bouncer: PgBouncer
  let small: PgBouncer
  beforeAll(async () => {
    ;[bouncer, small] = await Promise.all([
      startPgBouncer({pg: info}),
      startPgBouncer({pg: info, settings: {max_client_conn: 1}}),
    ])
  })
  afterAll(async () => {
    await Promise.all([bouncer?.stop(), small?.stop()])
  })
  const config = (port: number): pg.ClientConfig => ({
    host: PG_HOST,
    port,
    user: APP_USER,
    password: CANARY_PASSWORD,
    database: APP_DATABASE,
  })

  it('a refused startup parameter → POOLER_STARTUP_PARAMETER', async () => {
    const text = await connectError({...config(bouncer.port), options: '-c search_path=x'})
    expect(text).toContain('unsupported startup parameter: options')
    expect(await explainCodes(text)).toContain('POOLER_STARTUP_PARAMETER')
  })

  it('a named prepared statement run again on another server connection → POOLER_PREPARED_STATEMENTS', async () => {
    const a = new pg.Client(config(bouncer.port))
    const b = new pg.Client(config(bouncer.port))
    await Promise.all([a.connect(), b.connect()])
    let text = 'no error'
    try {
      const q = {name: 's1', text: 'select pg_backend_pid() as pid'}
      const first = (await a.query(q)).rows[0].pid
      await b.query('BEGIN READ ONLY')
      expect((await b.query('select pg_backend_pid() as pid')).rows[0].pid).toBe(first)
      try {
        await a.query(q)
      } catch (error) {
        text = printed(error)
      }
      await b.query('DEALLOCATE s1')
      await b.query('ROLLBACK')
    } finally {
      await Promise.all([a.end(), b.end()])
    }
    expect(text).toContain('prepared statement "s1" does not exist')
    expect(await explainCodes(text)).toContain('POOLER_PREPARED_STATEMENTS')
  })

  it("PgBouncer's client limit → AUTH_TOO_MANY_CONNECTIONS", async () => {
    const holder = new pg.Client(config(small.port))
    await holder.connect()
    try {
      const text = await connectError(config(small.port))
      expect(text).toContain('no more connections allowed (max_client_conn)')
      expect(await explainCodes(text)).toContain('AUTH_TOO_MANY_CONNECTIONS')
    } finally {
      await holder.end()
    }
  })
})

describe("explain: Supavisor's answers (the wordings of its source) through node-postgres", () => {
  const cases: Array<[string, string]> = [
    ['Tenant or user not found', 'POOLER_TENANT_NOT_FOUND'],
    ['(ENOTFOUND) tenant/user postgres.abcdefghijklmnopqrst not found', 'POOLER_TENANT_NOT_FOUND'],
    ['Max client connections reached', 'AUTH_TOO_MANY_CONNECTIONS'],
    [
      'MaxClientsInSessionMode: max clients reached - in Session mode max clients are limited to pool_size',
      'AUTH_TOO_MANY_CONNECTIONS',
    ],
    ['(EMAXCONN) max client connections reached, limit: 200', 'AUTH_TOO_MANY_CONNECTIONS'],
    [
      '(EMAXCONNSESSION) max clients reached in session mode - max clients are limited to pool_size: 15',
      'AUTH_TOO_MANY_CONNECTIONS',
    ],
  ]
  for (const [message, code] of cases) {
    it(`${message} → ${code}`, async () => {
      const peer = await startupErrorPeer(errorResponse({S: 'FATAL', V: 'FATAL', C: 'XX000', M: message}))
      try {
        const text = await connectError({
          host: '127.0.0.1',
          port: peer.port,
          user: 'postgres',
          password: CANARY_PASSWORD,
          database: 'postgres',
        })
        expect(text).toContain(message)
        const codes = await explainCodes(text)
        expect(codes).toContain(code)
        // the tenant answer is the pooler's, not a missing role
        if (code === 'POOLER_TENANT_NOT_FOUND') expect(codes).not.toContain('AUTH_ROLE_NOT_FOUND')
      } finally {
        await peer.close()
      }
    })
  }
})

describe('explain: Prisma through a transaction pooler (prisma/prisma issues)', () => {
  it('42P05 "s0" already exists and 26000 "s0" does not exist → POOLER_PREPARED_STATEMENTS', async () => {
    const texts = [
      // prisma/orm#2179
      'Invalid `prisma.product.findOne()` invocation:\nError occurred during query execution:\nConnectorError(ConnectorError { user_facing_error: None, kind: QueryError(Error { kind: Db, cause: Some(DbError { severity: "ERROR", parsed_severity: Some(Error), code: SqlState("42P05"), message: "prepared statement \\"s0\\" already exists", detail: None, hint: None }) }) })',
      // prisma/orm#22831
      'Datasource "db": PostgreSQL database "postgres", schema "public" at "aws-0-ap-south-1.pooler.supabase.com:6543"\n\nError: Schema engine error:\nERROR: prepared statement "s0" does not exist',
    ]
    for (const text of texts) expect(await explainCodes(text), text).toContain('POOLER_PREPARED_STATEMENTS')
  })
})
