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
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Issued} from '../helpers/certs.js'
import {chainPem, makeChains, startTlsPeer, type Chains, type Peer, type PeerOptions} from '../helpers/chains.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'
import {freePort} from '../helpers/postgres.js'

interface Match {
  code: string | null
  title: string
  candidates?: string[]
}

/** A pasted log always carries the app's URL with its password: it must never come back. */
const URL_LINE = `DATABASE_URL=postgresql://app:${CANARY_PASSWORD}@db.example.com:5432/appdb`

async function explain(text: string): Promise<{code: number; matches: Match[]}> {
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
      ['Error: P1000: Authentication failed against database server at `db.example.com`, the provided database credentials for `app` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at `db.example.com`.', 'AUTH_PASSWORD_FAILED'],
      ["Error: P1001: Can't reach database server at `db.example.com`:`5432`\n\nPlease make sure your database server is running at `db.example.com`:`5432`.", 'hint:DNS_NOT_FOUND'],
      ["Error: P1001: Can't reach database server at `localhost:5432`", 'hint:DNS_NOT_FOUND'],
      ['Error: P1002: The database server at `db.example.com`:`5432` was reached but timed out.\n\nPlease try again.', 'hint:MIGRATION_LOCKED'],
      ['Error: P1003: Database `appdb` does not exist on the database server at `localhost:5432`.', 'AUTH_DATABASE_NOT_FOUND'],
      ['Error: P1008: Operations timed out after `10s`', 'hint:TCP_TIMEOUT'],
      ['Error: P1010: User `app` was denied access on the database `appdb.public`', 'hint:AUTH_HBA_REJECTED'],
      ['Error: P1011: Error opening a TLS connection: bad certificate format', 'hint:TLS_SELF_SIGNED_CHAIN'],
      ['Error: Prisma schema validation - (get-config wasm)\nError code: P1012\nerror: Environment variable not found: DATABASE_URL.', 'CONFIG_APP_FILE_ERROR'],
      ['error: Error validating datasource `db`: the URL must start with the protocol `postgresql://` or `postgres://`.', 'CONFIG_URL_INVALID'],
      ['Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation', 'CONFIG_URL_INVALID'],
      ['Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation', 'CONFIG_PASSWORD_NOT_ENCODED'],
      ['Error: P1017: Server has closed the connection.', 'PG_NO_RESPONSE'],
      ['Too many database connections opened: FATAL: sorry, too many clients already', 'AUTH_TOO_MANY_CONNECTIONS'],
      ['Error: P3000\n\nFailed to create database: permission denied to create database', 'hint:AUTH_DATABASE_NOT_FOUND'],
      ['Error: P3005\n\nThe database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline', 'MIGRATION_NOT_BASELINED'],
      ['Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be applied.\nThe `20240101000000_init` migration started at 2025-04-21 16:09:45.154896 UTC failed', 'MIGRATION_FAILED'],
      ['Error: P3014\n\nPrisma Migrate could not create the shadow database. Please make sure the database user has permission to create databases.', 'hint:PRIV_NO_CREATEDB'],
      ['Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the error is recovered from.\n\nMigration name: 20240101000000_init', 'MIGRATION_FAILED'],
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
      const r = await explain(text)
      expect(r.matches, text).toEqual([])
      expect(r.code, text).toBe(1)
    }
  })
})

/** What node-postgres throws, printed the way an app's crash log shows it (stack + code). */
async function pgError(config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client({connectionTimeoutMillis: 5000, user: 'app', password: CANARY_PASSWORD, database: 'appdb', ...config})
  client.on('error', () => {})
  try {
    await client.connect()
    await client.end()
    return 'connected'
  } catch (error) {
    const e = error as Error & {code?: string}
    return `${e.stack}\n{ code: '${e.code ?? ''}' }`
  }
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
  async function peer(opts: Omit<PeerOptions, 'keyPem' | 'certPem'> & {cert?: Issued; chain?: Issued[]}): Promise<number> {
    const leaf = opts.cert ?? chains.leaf
    const p = await startTlsPeer({...opts, certPem: chainPem(leaf, ...(opts.chain ?? [])), keyPem: leaf.keyPem})
    peers.push(p)
    return p.port
  }

  it("OpenSSL 3's TLS verification errors through node-postgres (Node's codes and texts)", async () => {
    const cases: [string, () => Promise<pg.ClientConfig>, string][] = [
      ['a self-signed leaf', async () => ({port: await peer({cert: chains.selfSignedLeaf}), ssl: true}), 'TLS_SELF_SIGNED_CERT'],
      ['a chain ending in an untrusted root', async () => ({port: await peer({chain: [chains.intermediate, chains.root]}), ssl: true}), 'TLS_SELF_SIGNED_CHAIN'],
      ['an unknown issuer', async () => ({port: await peer({chain: [chains.intermediate]}), ssl: true}), 'TLS_UNTRUSTED_ISSUER'],
      ['a missing intermediate', async () => ({port: await peer({}), ssl: {ca: chains.root.certPem}}), 'TLS_UNTRUSTED_ISSUER'],
      ['another host name', async () => ({port: await peer({cert: chains.wrongName, chain: [chains.intermediate]}), ssl: {ca: chains.root.certPem}}), 'TLS_HOSTNAME_MISMATCH'],
      ['an expired certificate', async () => ({port: await peer({cert: chains.expired, chain: [chains.intermediate]}), ssl: {ca: chains.root.certPem}}), 'TLS_EXPIRED'],
      ['a certificate not valid yet', async () => ({port: await peer({cert: chains.notYetValid, chain: [chains.intermediate]}), ssl: {ca: chains.root.certPem}}), 'TLS_NOT_YET_VALID'],
      ["a server that answers 'N' to SSLRequest", async () => ({port: await peer({answer: 'N'}), ssl: true}), 'TLS_NOT_SUPPORTED'],
    ]
    for (const [name, config, code] of cases) {
      const text = await pgError({host: '127.0.0.1', ...(await config())})
      expect(text, name).not.toBe('connected')
      const {matches} = await explain(text)
      expect(matches.map((m) => m.code), `${name}\n${text}`).toContain(code)
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
      ['Error: connect ETIMEDOUT 10.0.3.25:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (net.js:1144:16)', 'TCP_TIMEOUT'],
      ['Error: connect EHOSTUNREACH 192.168.1.20:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)', 'TCP_UNREACHABLE'],
      ['Error: connect ENETUNREACH 10.9.0.1:5432 - Local (0.0.0.0:0)', 'TCP_UNREACHABLE'],
      ["Error: getaddrinfo EAI_AGAIN db.internal.example\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:120:26) { errno: -3001, code: 'EAI_AGAIN' }", 'DNS_TEMPORARY_FAILURE'],
      ["Error: getaddrinfo ENOTFOUND db.example.invalid { errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo' }", 'DNS_NOT_FOUND'],
      ['AggregateError [ETIMEDOUT]: \n    at internalConnectMultiple (node:net:1117:18)\n    at Timeout.internalConnectMultipleTimeout (node:net:1711:5)', 'TCP_IPV6_FAILED'],
      ["Error: self signed certificate in certificate chain\n    at TLSSocket.onConnectSecure (_tls_wrap.js:1497:34) {\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'\n}", 'TLS_SELF_SIGNED_CHAIN'],
      ["Error: self signed certificate\n    at TLSSocket.onConnectSecure (_tls_wrap.js:1473:34) {\n  code: 'DEPTH_ZERO_SELF_SIGNED_CERT'\n}", 'TLS_SELF_SIGNED_CERT'],
      ["Error: unable to get local issuer certificate { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }", 'TLS_UNTRUSTED_ISSUER'],
    ])
  })

  it('node-postgres and pg-pool wordings from their source (pg 8 lib/client.js, crypto/sasl.js, pg-pool/index.js)', async () => {
    await expectCodes([
      ['Error: Connection terminated unexpectedly\n    at Connection.<anonymous> (node_modules/pg/lib/client.js:204:73)', 'PG_NO_RESPONSE'],
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
      ['KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?', 'hint:TCP_TIMEOUT'],
      ['Error: Migration table is already locked', 'MIGRATION_LOCKED'],
      ['Error: The migration directory is corrupt, the following files are missing: 20240101120000_create_users.js', 'MIGRATION_FILES_MISSING'],
      ['Error: No configuration file found and no commandline connection parameters passed', 'CONFIG_NOT_FOUND'],
    ])
  })
  it('node-pg-migrate', async () => {
    await expectCodes([
      ["Error: Another migration is already running. Advisory lock mode is set to 'fail'.", 'MIGRATION_LOCKED'],
      ['Error: Definitions of migrations 1700000000000_init have been deleted.', 'MIGRATION_FILES_MISSING'],
      ['Error: Not run migration 1690000000000_add_index is preceding already run migration 1700000000000_init', 'MIGRATION_OUT_OF_ORDER'],
      ['The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.', 'CONFIG_NOT_FOUND'],
      ["could not connect to postgres: Error: connect ECONNREFUSED 127.0.0.1:5432\n  errno: -111,\n  code: 'ECONNREFUSED'", 'TCP_REFUSED'],
    ])
  })
})
