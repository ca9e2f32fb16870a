// explain recognises each family's wordings as the real tool prints them. Every text here
// was checked against its source — the tool's code (prisma-engines user-facing-errors,
// PgBouncer, Supavisor, PostgreSQL, OpenSSL, node-postgres, knex, node-pg-migrate in
// node_modules) or a real log in a public issue thread — and the catalogue comment next to
// the matching example names it. Messages Node, node-postgres, knex, node-pg-migrate, psql,
// PostgreSQL and PgBouncer print are also produced live in real-peers.test.ts,
// migration-tools.test.ts and the pooler tests; this file pins the verified wordings of
// every family, old and new spellings, and which codes stay unmapped.
import {spawnSync} from 'node:child_process'
import pg from 'pg'
import {pgConnectError} from '../helpers/app-errors.js'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {Issued} from '../helpers/certs.js'
import {chainPem, makeChains, startTlsPeer, type Chains, type Peer, type PeerOptions} from '../helpers/chains.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'
import type {Example, Matcher} from '../../src/catalogue/index.js'
import {catalogue} from '../../src/checks/catalogue.js'
import {Scanner} from '../../src/catalogue/match.js'
import {hints} from '../../src/catalogue/hints.js'
import {explainText} from '../../src/explain/index.js'
import {runCli} from '../helpers/cli.js'
import {freePort} from '../helpers/postgres.js'

interface Match {
  code: string | null
  title: string
  candidates?: string[]
}

/** A pasted log always carries the app's URL with its password: it must never come back. */
const URL_LINE = `DATABASE_URL=postgresql://app:${CANARY_PASSWORD}@db.example.com:5432/appdb`

/** explain's library call (what the command prints as --json); the password never appears in it. */
async function explain(text: string): Promise<{matches: Match[]}> {
  const result = explainText(`${URL_LINE}\n${text}\n`, 'test')
  expect(JSON.stringify(result)).not.toContain(CANARY_PASSWORD)
  return {matches: result.matches as Match[]}
}

/** The command itself: exit code and --json output, nothing of the password on stdout or stderr. */
async function explainCli(text: string): Promise<{code: number; matches: Match[]}> {
  const r = await runCli(['explain', '--json'], {input: `${URL_LINE}\n${text}\n`})
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  expect([0, 1], r.stderr).toContain(r.code)
  return {code: r.code ?? -1, matches: (JSON.parse(r.stdout) as {matches: Match[]}).matches}
}

/** Each text must give its code (a hint: null, with the first candidate given). */
async function expectCodes(cases: [string, string][]): Promise<void> {
  for (const [text, code] of cases) {
    const {matches} = await explain(text)
    const found = matches.map((m) => m.code ?? `hint:${m.candidates?.[0]}`)
    expect(found, text).toContain(code)
  }
}

describe('explain: Prisma (prisma-engines libs/user-facing-errors: common.rs, schema_engine.rs, quaint.rs)', () => {
  it('every P-code that maps to a db-doctor code, in the template Prisma prints', async () => {
    await expectCodes([
      [
        'Error: P1000: Authentication failed against database server at `db.example.com`, the provided database credentials for `app` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at `db.example.com`.',
        'AUTH_PASSWORD_FAILED',
      ],
      [
        "Error: P1001: Can't reach database server at `db.example.com`:`5432`\n\nPlease make sure your database server is running at `db.example.com`:`5432`.",
        'hint:DNS_NOT_FOUND',
      ],
      ["Error: P1001: Can't reach database server at `localhost:5432`", 'hint:DNS_NOT_FOUND'],
      [
        'Error: P1002: The database server at `db.example.com`:`5432` was reached but timed out.\n\nPlease try again.',
        'hint:MIGRATION_LOCKED',
      ],
      [
        'Error: P1003: Database `appdb` does not exist on the database server at `localhost:5432`.',
        'AUTH_DATABASE_NOT_FOUND',
      ],
      ['Error: P1008: Operations timed out after `10s`', 'hint:TCP_TIMEOUT'],
      ['Error: P1010: User `app` was denied access on the database `appdb.public`', 'hint:AUTH_HBA_REJECTED'],
      ['Error: P1011: Error opening a TLS connection: bad certificate format', 'hint:TLS_SELF_SIGNED_CHAIN'],
      [
        'Error: Prisma schema validation - (get-config wasm)\nError code: P1012\nerror: Environment variable not found: DATABASE_URL.',
        'CONFIG_APP_FILE_ERROR',
      ],
      [
        'error: Error validating datasource `db`: the URL must start with the protocol `postgresql://` or `postgres://`.',
        'CONFIG_URL_INVALID',
      ],
      [
        'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation',
        'CONFIG_URL_INVALID',
      ],
      [
        'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation',
        'CONFIG_PASSWORD_NOT_ENCODED',
      ],
      ['Error: P1017: Server has closed the connection.', 'PG_NO_RESPONSE'],
      ['Too many database connections opened: FATAL: sorry, too many clients already', 'AUTH_TOO_MANY_CONNECTIONS'],
      [
        'Error: P3000\n\nFailed to create database: permission denied to create database',
        'hint:AUTH_DATABASE_NOT_FOUND',
      ],
      [
        'Error: P3005\n\nThe database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline',
        'MIGRATION_NOT_BASELINED',
      ],
      [
        'Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be applied.\nThe `20240101000000_init` migration started at 2025-04-21 16:09:45.154896 UTC failed',
        'MIGRATION_FAILED',
      ],
      [
        'Error: P3014\n\nPrisma Migrate could not create the shadow database. Please make sure the database user has permission to create databases.',
        'hint:PRIV_NO_CREATEDB',
      ],
      [
        'Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the error is recovered from.\n\nMigration name: 20240101000000_init',
        'MIGRATION_FAILED',
      ],
    ])
  })

  it("P1002 with migrate's advisory-lock context is the migration lock", async () => {
    const {matches} = await explain(
      'Error: P1002\n\nThe database server at `ep-x-pooler.us-east-1.aws.neon.tech:5432` was reached but timed out.\n\nPlease try again.\n\nContext: Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369)). Elapsed: 10000ms. See https://pris.ly/d/migrate-advisory-locking for details.',
    )
    expect(matches.map((m) => m.code)).toContain('MIGRATION_LOCKED')
    expect(matches.map((m) => m.code)).not.toContain('PG_NO_RESPONSE')
  })

  it('unmapped P-codes stay unmapped: no db-doctor check finds them, explain says it does not know them (exit 1)', async () => {
    for (const text of [
      'Error: P1009: Database `appdb` already exists on the database server at `localhost:5432`',
      'Error: P1014: The underlying table for model `User` does not exist.',
      'Error: P1016: Your raw query had an incorrect number of parameters. Expected: `1`, actual: `2`.',
      'Error: P3004: The `postgres` database is a system database, it should not be altered with prisma migrate. Please connect to another database.',
      'Error: P3008: The migration `20240101000000_init` is already recorded as applied in the database.',
      'Error: P3011: Migration `20240101000000_init` cannot be rolled back because it was never applied to the database.',
      'Error: P3015: Could not find the migration file at prisma/migrations/20240101000000_init/migration.sql. Please delete the directory or restore the migration file.',
      'Error: P3019: The datasource provider `postgresql` specified in your schema does not match the one specified in the migration_lock.toml, `mysql`.',
    ]) {
      const r = await explainCli(text)
      expect(r.matches, text).toEqual([])
      expect(r.code, text).toBe(1)
    }
  })
})

/** What node-postgres throws, printed the way an app's crash log shows it (stack + code). */
function pgError(config: pg.ClientConfig): Promise<string> {
  return pgConnectError({user: 'app', password: CANARY_PASSWORD, database: 'appdb', ...config})
}

describe('explain: Node (net/tls) and node-postgres, produced live on loopback', () => {
  let chains: Chains
  const peers: Peer[] = []
  beforeAll(async () => {
    chains = await makeChains()
  })
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()))
  })
  async function peer(
    opts: Omit<PeerOptions, 'keyPem' | 'certPem'> & {cert?: Issued; chain?: Issued[]},
  ): Promise<number> {
    const leaf = opts.cert ?? chains.leaf
    const p = await startTlsPeer({...opts, certPem: chainPem(leaf, ...(opts.chain ?? [])), keyPem: leaf.keyPem})
    peers.push(p)
    return p.port
  }

  it("OpenSSL 3's TLS verification errors through node-postgres (Node's codes and texts)", async () => {
    const cases: [string, () => Promise<pg.ClientConfig>, string][] = [
      [
        'a self-signed leaf',
        async () => ({port: await peer({cert: chains.selfSignedLeaf}), ssl: true}),
        'TLS_SELF_SIGNED_CERT',
      ],
      [
        'a chain ending in an untrusted root',
        async () => ({port: await peer({chain: [chains.intermediate, chains.root]}), ssl: true}),
        'TLS_SELF_SIGNED_CHAIN',
      ],
      [
        'an unknown issuer',
        async () => ({port: await peer({chain: [chains.intermediate]}), ssl: true}),
        'TLS_UNTRUSTED_ISSUER',
      ],
      [
        'a missing intermediate',
        async () => ({port: await peer({}), ssl: {ca: chains.root.certPem}}),
        'TLS_UNTRUSTED_ISSUER',
      ],
      [
        'another host name',
        async () => ({
          port: await peer({cert: chains.wrongName, chain: [chains.intermediate]}),
          ssl: {ca: chains.root.certPem},
        }),
        'TLS_HOSTNAME_MISMATCH',
      ],
      [
        'an expired certificate',
        async () => ({
          port: await peer({cert: chains.expired, chain: [chains.intermediate]}),
          ssl: {ca: chains.root.certPem},
        }),
        'TLS_EXPIRED',
      ],
      [
        'a certificate not valid yet',
        async () => ({
          port: await peer({cert: chains.notYetValid, chain: [chains.intermediate]}),
          ssl: {ca: chains.root.certPem},
        }),
        'TLS_NOT_YET_VALID',
      ],
      [
        "a server that answers 'N' to SSLRequest",
        async () => ({port: await peer({answer: 'N'}), ssl: true}),
        'TLS_NOT_SUPPORTED',
      ],
    ]
    for (const [name, config, code] of cases) {
      const text = await pgError({host: '127.0.0.1', ...(await config())})
      expect(text, name).not.toBe('connected')
      const {matches} = await explain(text)
      expect(
        matches.map((m) => m.code),
        `${name}\n${text}`,
      ).toContain(code)
    }
  })

  it('ECONNREFUSED, alone and as the AggregateError of internalConnectMultiple (two addresses, Node ≥ 20)', async () => {
    const port = await freePort()
    const single = await pgError({host: '127.0.0.1', port})
    expect(single).toContain('ECONNREFUSED')
    expect((await explain(single)).matches.map((m) => m.code)).toContain('TCP_REFUSED')
    // a separate Node process, as an app prints an unhandled connect error; two loopback addresses, no resolver
    const script = `require('net').connect({host: 'db.test', port: ${port}, autoSelectFamily: true, lookup: (h, o, cb) => cb(null, [{address: '127.0.0.1', family: 4}, {address: '127.0.0.2', family: 4}])}).on('error', (e) => console.error(e))`
    const two = spawnSync(process.execPath, ['-e', script], {encoding: 'utf8', timeout: 20_000}).stderr
    expect(two).toMatch(/^AggregateError \[ECONNREFUSED\]/)
    expect(two).toContain('internalConnectMultiple')
    expect((await explain(two)).matches.map((m) => m.code)).toContain('TCP_REFUSED')
  })

  it("Node's verified wordings that need a blackhole or a resolver (lab-only here): ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EAI_AGAIN, ENOTFOUND, the Happy Eyeballs timeout, OpenSSL 1.1's 'self signed'", async () => {
    await expectCodes([
      [
        'Error: connect ETIMEDOUT 10.0.3.25:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (net.js:1144:16)',
        'TCP_TIMEOUT',
      ],
      [
        'Error: connect EHOSTUNREACH 192.168.1.20:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
        'TCP_UNREACHABLE',
      ],
      ['Error: connect ENETUNREACH 10.9.0.1:5432 - Local (0.0.0.0:0)', 'TCP_UNREACHABLE'],
      [
        "Error: getaddrinfo EAI_AGAIN db.internal.example\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:120:26) { errno: -3001, code: 'EAI_AGAIN' }",
        'DNS_TEMPORARY_FAILURE',
      ],
      [
        "Error: getaddrinfo ENOTFOUND db.example.invalid { errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo' }",
        'DNS_NOT_FOUND',
      ],
      [
        'AggregateError [ETIMEDOUT]: \n    at internalConnectMultiple (node:net:1117:18)\n    at Timeout.internalConnectMultipleTimeout (node:net:1711:5)',
        'TCP_IPV6_FAILED',
      ],
      [
        "Error: self signed certificate in certificate chain\n    at TLSSocket.onConnectSecure (_tls_wrap.js:1497:34) {\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'\n}",
        'TLS_SELF_SIGNED_CHAIN',
      ],
      [
        "Error: self signed certificate\n    at TLSSocket.onConnectSecure (_tls_wrap.js:1473:34) {\n  code: 'DEPTH_ZERO_SELF_SIGNED_CERT'\n}",
        'TLS_SELF_SIGNED_CERT',
      ],
      [
        "Error: unable to get local issuer certificate { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }",
        'TLS_UNTRUSTED_ISSUER',
      ],
    ])
  })

  it('node-postgres and pg-pool wordings from their source (pg 8 lib/client.js, crypto/sasl.js, pg-pool/index.js)', async () => {
    await expectCodes([
      [
        'Error: Connection terminated unexpectedly\n    at Connection.<anonymous> (node_modules/pg/lib/client.js:204:73)',
        'PG_NO_RESPONSE',
      ],
      ['Error: SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string', 'AUTH_PASSWORD_MISSING'],
      ['Error: Connection terminated due to connection timeout', 'hint:TCP_TIMEOUT'],
      ['Error: timeout expired\n    at Timeout._onTimeout (node_modules/pg/lib/client.js:170:28)', 'hint:TCP_TIMEOUT'],
      ['Error: timeout exceeded when trying to connect', 'hint:TCP_TIMEOUT'],
    ])
  })
})

describe('explain: knex 3.3 and node-pg-migrate 9 (their sources in node_modules)', () => {
  it('knex', async () => {
    await expectCodes([
      [
        'KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?',
        'hint:TCP_TIMEOUT',
      ],
      ['Error: Migration table is already locked', 'MIGRATION_LOCKED'],
      [
        'Error: The migration directory is corrupt, the following files are missing: 20240101120000_create_users.js',
        'MIGRATION_FILES_MISSING',
      ],
      [
        'Error: No configuration file found and no commandline connection parameters passed',
        'CONFIG_KNEXFILE_NOT_FOUND',
      ],
    ])
  })
  it('node-pg-migrate', async () => {
    await expectCodes([
      ["Error: Another migration is already running. Advisory lock mode is set to 'fail'.", 'MIGRATION_LOCKED'],
      ['Error: Definitions of migrations 1700000000000_init have been deleted.', 'MIGRATION_FILES_MISSING'],
      [
        'Error: Not run migration 1690000000000_add_index is preceding already run migration 1700000000000_init',
        'MIGRATION_OUT_OF_ORDER',
      ],
      [
        'The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.',
        'CONFIG_NOT_FOUND',
      ],
      [
        "could not connect to postgres: Error: connect ECONNREFUSED 127.0.0.1:5432\n  errno: -111,\n  code: 'ECONNREFUSED'",
        'TCP_REFUSED',
      ],
    ])
  })
})

function psql(args: string[], env: Record<string, string>): string {
  const r = spawnSync('psql', [...args, '-c', 'select 1'], {
    env: {PATH: process.env.PATH ?? '/usr/bin:/bin', PGCONNECT_TIMEOUT: '5', ...env},
    encoding: 'utf8',
    timeout: 20_000,
  })
  return r.stderr
}

const bouncerSupport = pgbouncerSupport()

describe.skipIf(!bouncerSupport.ok)(
  'explain: PgBouncer 1.18, produced live (client_tls_sslmode = require, max_client_conn = 1)',
  () => {
    const info = inject('pg')
    let bouncer: PgBouncer
    beforeAll(async () => {
      bouncer = await startPgBouncer({pg: info, clientTls: 'require', settings: {max_client_conn: 1}})
    })
    afterAll(async () => {
      await bouncer?.stop()
    })

    it('SSL required, max_client_conn, unsupported startup parameter: as psql and node-postgres print them', async () => {
      const conn = ['-h', bouncer.host, '-p', String(bouncer.port), '-U', APP_USER, '-d', APP_DATABASE]
      const plain = psql(conn, {PGSSLMODE: 'disable', PGPASSWORD: CANARY_PASSWORD})
      expect(plain, bouncer.log()).toContain('SSL required')
      expect((await explain(plain)).matches.map((m) => m.code)).toContain('AUTH_SSL_REQUIRED')

      const tls = {host: bouncer.host, port: bouncer.port, ssl: {ca: bouncer.caPem}}
      const holder = new pg.Client({...tls, user: APP_USER, password: CANARY_PASSWORD, database: APP_DATABASE})
      holder.on('error', () => {})
      await holder.connect()
      try {
        const full = psql(conn, {PGSSLMODE: 'require', PGPASSWORD: CANARY_PASSWORD})
        expect(full, bouncer.log()).toContain('no more connections allowed (max_client_conn)')
        expect((await explain(full)).matches.map((m) => m.code)).toContain('AUTH_TOO_MANY_CONNECTIONS')
      } finally {
        await holder.end().catch(() => {})
      }

      const options = await pgError({...tls, options: '-c search_path=public'})
      expect(options, bouncer.log()).toContain('unsupported startup parameter')
      expect((await explain(options)).matches.map((m) => m.code)).toContain('POOLER_STARTUP_PARAMETER')
    })

    it("the wordings of other PgBouncer versions (src/client.c, src/objects.c): FATAL since 1.16, server_login_retry's three texts", async () => {
      await expectCodes([
        ['FATAL:  no such database: appdb', 'AUTH_DATABASE_NOT_FOUND'],
        ['FATAL:  unsupported startup parameter in options: search_path', 'POOLER_STARTUP_PARAMETER'],
        ['ERROR:  pgbouncer cannot connect to server', 'AUTH_CONNECTION_FAILED'],
        ['FATAL:  server login has been failing, try again later (server_login_retry)', 'AUTH_CONNECTION_FAILED'],
        [
          'FATAL:  server login has been failing, cached error: connect failed (server_login_retry)',
          'AUTH_CONNECTION_FAILED',
        ],
        ['FATAL:  query_wait_timeout', 'hint:AUTH_TOO_MANY_CONNECTIONS'],
        ['FATAL:  client_login_timeout (server down)', 'hint:AUTH_TOO_MANY_CONNECTIONS'],
      ])
    })
  },
)

describe('explain: PostgreSQL server and libpq wordings (checked in the PostgreSQL 18 server binary and libpq 15)', () => {
  it('server messages', async () => {
    await expectCodes([
      [
        'FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "app", database "appdb", no encryption',
        'AUTH_SSL_REQUIRED',
      ],
      ['FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "app", database "appdb", SSL off', 'AUTH_SSL_REQUIRED'],
      [
        'FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "app", database "appdb", SSL encryption',
        'AUTH_HBA_REJECTED',
      ],
      ['FATAL:  password authentication failed for user "app"', 'AUTH_PASSWORD_FAILED'],
      ['FATAL:  database "appdb" does not exist', 'AUTH_DATABASE_NOT_FOUND'],
      ['FATAL:  role "app" does not exist', 'AUTH_ROLE_NOT_FOUND'],
      ['FATAL:  role "readers" is not permitted to log in', 'AUTH_ROLE_NOLOGIN'],
      ['FATAL:  the database system is starting up', 'AUTH_SERVER_STARTING'],
      ['FATAL:  the database system is not yet accepting connections', 'AUTH_SERVER_STARTING'],
      [
        'FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute',
        'AUTH_TOO_MANY_CONNECTIONS',
      ],
      [
        'FATAL:  remaining connection slots are reserved for non-replication superuser connections',
        'AUTH_TOO_MANY_CONNECTIONS',
      ],
      ['FATAL:  sorry, too many clients already', 'AUTH_TOO_MANY_CONNECTIONS'],
      ['ERROR:  cannot execute CREATE TABLE in a read-only transaction', 'SERVER_READ_ONLY'],
      ['ERROR:  canceling statement due to statement timeout', 'SERVER_STATEMENT_TIMEOUT'],
      ['ERROR:  permission denied for schema public', 'PRIV_NO_CREATE_ON_SCHEMA'],
      ['ERROR:  must be owner of table users', 'PRIV_NOT_OWNER'],
    ])
  })
  it('libpq (psql, pg_dump) messages', async () => {
    await expectCodes([
      [
        'psql: error: connection to server at "127.0.0.1", port 5432 failed: server does not support SSL, but SSL was required',
        'TLS_NOT_SUPPORTED',
      ],
      [
        'psql: error: connection to server at "db.example.com" (10.0.0.5), port 5432 failed: SSL connection has been closed unexpectedly',
        'PG_NO_RESPONSE',
      ],
      [
        'psql: error: connection to server at "127.0.0.1", port 15432 failed: server closed the connection unexpectedly',
        'PG_NO_RESPONSE',
      ],
      [
        'psql: error: connection to server at "db.example.com" (2001:db8::10), port 5432 failed: timeout expired',
        'hint:TCP_TIMEOUT',
      ],
      [
        'psql: error: could not translate host name "db.example.invalid" to address: Name or service not known',
        'DNS_NOT_FOUND',
      ],
      [
        'psql: error: connection to server at "localhost" (127.0.0.1), port 5432 failed: server certificate for "db.example.com" (and 2 other names) does not match host name "localhost"',
        'TLS_HOSTNAME_MISMATCH',
      ],
      [
        'psql: error: connection to server at "127.0.0.1", port 8080 failed: received invalid response to SSL negotiation: H',
        'PG_NOT_POSTGRES',
      ],
      ['psql: error: invalid percent-encoded token: "pa%zz"', 'CONFIG_PASSWORD_ENCODING_LENIENT'],
    ])
  })
})

describe('explain: Supavisor (supabase/supavisor lib/supavisor/errors and, before 2026-03, client_handler/error.ex)', () => {
  it('tenant not found, old and new wordings, and never a DNS or role error', async () => {
    for (const text of [
      'FATAL:  Tenant or user not found',
      'FATAL:  (ENOTFOUND) tenant/user postgres.nonexistent_tenant not found',
    ]) {
      const codes = (await explain(text)).matches.map((m) => m.code)
      expect(codes, text).toContain('POOLER_TENANT_NOT_FOUND')
      expect(codes, text).not.toContain('DNS_NOT_FOUND')
      expect(codes, text).not.toContain('AUTH_ROLE_NOT_FOUND')
    }
  })
  it('client limits and a wrong password', async () => {
    await expectCodes([
      ['FATAL:  Max client connections reached', 'AUTH_TOO_MANY_CONNECTIONS'],
      [
        'FATAL:  MaxClientsInSessionMode: max clients reached - in Session mode max clients are limited to pool_size',
        'AUTH_TOO_MANY_CONNECTIONS',
      ],
      [
        'FATAL:  (EMAXCONNSESSION) max clients reached in session mode - max clients are limited to pool_size: 15',
        'AUTH_TOO_MANY_CONNECTIONS',
      ],
      ['FATAL:  (EMAXCONN) max client connections reached, limit: 200', 'AUTH_TOO_MANY_CONNECTIONS'],
      ['FATAL:  password authentication failed for user "postgres.abcdefghijklmnop"', 'AUTH_PASSWORD_FAILED'],
    ])
  })
})

describe('explain: cloud providers (wordings from their public issue threads and docs, cited in the catalogue)', () => {
  it('AWS RDS / Aurora', async () => {
    await expectCodes([
      [
        'psql: error: connection to server at "mydb.c9akciq32.us-east-1.rds.amazonaws.com" (10.0.1.12), port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.3.7", user "app", database "appdb", no encryption',
        'AUTH_SSL_REQUIRED',
      ],
      [
        'connection to server at "172.31.15.204", port 5432 failed: FATAL:  PAM authentication failed for user "user_name" (PG::ConnectionBad)',
        'AUTH_PASSWORD_FAILED',
      ],
      ['Error: self-signed certificate in certificate chain', 'TLS_SELF_SIGNED_CHAIN'],
    ])
  })
  it('Azure Database for PostgreSQL', async () => {
    await expectCodes([
      ['FATAL:  SSL connection is required. Please specify SSL options and retry.', 'AUTH_SSL_REQUIRED'],
      [
        'Npgsql.PostgresException (0x80004005): 28000: SSL connection is required. Please specify SSL options and retry.',
        'AUTH_SSL_REQUIRED',
      ],
      [
        'error: Invalid Username specified. Please check the Username and retry connection. The Username should be in <username@hostname> format.',
        'AUTH_ROLE_NOT_FOUND',
      ],
    ])
  })
  it('Google Cloud SQL', async () => {
    await expectCodes([
      ['FATAL:  connection requires a valid client certificate', 'AUTH_HBA_REJECTED'],
      [
        '2020/05/14 14:56:06 couldn\'t connect to "my-project:us-west4:staging": dial tcp 172.20.0.3:3307: connect: operation timed out',
        'TCP_TIMEOUT',
      ],
      ['DATABASE_URL=postgres://app@/appdb?host=/cloudsql/proj:europe-west1:db&sslmode=require', 'SSL_UNIX_SOCKET'],
    ])
  })
  it('Supabase (IPv6-only direct hosts)', async () => {
    await expectCodes([
      ['connect ENETUNREACH 2600:1f1e:75b:4b01:317e:2906:b007:5fab:5432 - Local (:::0)', 'DNS_IPV6_ONLY'],
      [
        'pg_dumpall: error: connection to server at "db.abcdefghijklmnop.supabase.co" (2a05:d018:135e:1600::1), port 5432 failed: Network is unreachable',
        'DNS_IPV6_ONLY',
      ],
      [
        'failed to connect to `host=db.abcdefghijklmnop.supabase.co user=postgres database=postgres`: dial error (dial tcp [2406:da14:271:9903:c1bf:5f4c:ff8a:9e0c]:5432: connect: no route to host)',
        'DNS_IPV6_ONLY',
      ],
    ])
  })
  it('Neon (its proxy and docs); the compute quota wording has no db-doctor code', async () => {
    await expectCodes([
      [
        'psql: error: connection to server at "ep-cool-darkness-123456.us-east-2.aws.neon.tech" (3.18.6.96), port 5432 failed: ERROR:  connection is insecure (try using `sslmode=require`)',
        'AUTH_SSL_REQUIRED',
      ],
      ["ERROR:  password authentication failed for user 'alex'", 'AUTH_PASSWORD_FAILED'],
      ["ERROR:  Couldn't connect to compute node", 'AUTH_SERVER_STARTING'],
      ['FATAL:  unsupported startup parameter: search_path', 'POOLER_STARTUP_PARAMETER'],
      [
        "ERROR: The endpoint ID is not specified. Either upgrade the Postgres client library (libpq) for SNI support or pass the endpoint ID (the first part of the domain name) as a parameter: '&options=endpoint%3D'. See https://neon.tech/sni for more information.",
        'TLS_SNI_MISSING',
      ],
    ])
    for (const text of [
      'ERROR: Your account or project has exceeded the compute time quota. Upgrade your plan to increase limits.',
    ]) {
      expect((await explain(text)).matches, text).toEqual([])
    }
  })
})

describe('explain: no wording is claimed by an unrelated entry', () => {
  /** Pairs that legitimately share a wording (both are shown; the confirm line tells them apart), with why. */
  const SHARED: Record<string, string> = {
    'AUTH_PASSWORD_MISSING|CONFIG_ENV_FILE_NOT_LOADED':
      "pg's 'client password must be a string': no password, often because the tool never loaded .env",
    'CONFIG_ENV_FILE_NOT_LOADED|CONFIG_NOT_FOUND':
      "node-pg-migrate's 'DATABASE_URL environment variable is not set': never set, or set only in an unread .env",
    'CONFIG_APP_FILE_ERROR|CONFIG_PRISMA_URL_IN_SCHEMA':
      "Prisma 7's P1012 for a `url` in schema.prisma: a schema file error, and which one",
    'CONFIG_PASSWORD_NOT_ENCODED|CONFIG_URL_INVALID':
      "Prisma's P1013 'invalid port number in database URL': a raw '/' or '#' in the password is its usual cause",
    'DNS_IPV6_ONLY|TCP_UNREACHABLE':
      'ENETUNREACH to an IPv6 address: no route, because the name has IPv6 addresses only',
    'DNS_TEMPORARY_FAILURE|DOCKER_DNS_FAILURE': "getaddrinfo EAI_AGAIN of a bare service name: Docker's embedded DNS",
    'MIGRATION_LOCKED|prisma-timeout-reached': "Prisma's P1002 with the advisory-lock context line",
    'MIGRATION_LOCKED|MIGRATION_TABLE_NO_ACCESS':
      'knex\'s "Can\'t take lock to run migrations" when the role may not UPDATE knex_migrations_lock (42501)',
    'MIGRATION_TABLE_NO_ACCESS|PRIV_NOT_OWNER':
      "node-pg-migrate's 'must be owner of table pgmigrations': with only SELECT it cannot see the primary key and ALTERs the table",
    'SSLMODE_VERIFY_SEMANTICS|SSL_UNIX_SOCKET': 'a pasted URL with sslmode=require and a socket host',
    'TCP_IPV6_FAILED|TCP_TIMEOUT': 'AggregateError [ETIMEDOUT]: every address timed out (often a dead IPv6 path)',
    'TLS_NOT_SUPPORTED|prisma-tls': 'P1011 names the TLS reason',
    'TLS_SELF_SIGNED_CERT|prisma-tls': 'P1011 names the TLS reason',
    'TLS_SELF_SIGNED_CHAIN|prisma-tls': 'P1011 names the TLS reason',
    'PG_NO_RESPONSE|pg-connection-timeout':
      "pg-pool's timeout error carries 'Connection terminated unexpectedly' as its cause",
    'PRIV_NO_CREATEDB|prisma-create-database': "P3000 quotes the server's 'permission denied to create database'",
    'PRIV_NO_CREATEDB|prisma-shadow-database': "P3014 quotes the server's 'permission denied to create database'",
    'AUTH_PASSWORD_FAILED|PG_TWO_SERVERS':
      'a refused password for "localhost": a wrong password, or another server on the address the tool tried first',
    'AUTH_ROLE_NOT_FOUND|PG_TWO_SERVERS':
      'a missing role on "localhost": the role is missing, or another server answers the address the tool tried first',
  }
  it('every example of every entry and hint is found as its own, and only shares a wording with the pairs listed', () => {
    type Item = {code?: string; id?: string; matchers: Matcher[]; examples: Example[]}
    const items: Item[] = [...catalogue, ...hints.map((h) => ({...h, code: undefined}))]
    const name = (i: Item) => (i.code ?? i.id)!
    const scanner = new Scanner<Item>(items)
    const unexpected: string[] = []
    for (const item of items) {
      for (const x of item.examples) {
        const found = scanner.scan(x.text).map((m) => name(m.item))
        expect(found, `${name(item)}: ${x.text}`).toContain(name(item))
        for (const other of found) {
          if (other === name(item)) continue
          const pair = [name(item), other].sort().join('|')
          if (!SHARED[pair]) unexpected.push(`${pair}: ${x.text.split('\n')[0]}`)
        }
      }
    }
    expect(unexpected).toEqual([])
  })
})
