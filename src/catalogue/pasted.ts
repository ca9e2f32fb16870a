// Codes explain recognises in pasted errors that no check emits yet (`explainOnly`): what the tools,
// drivers and servers print when a migration or an app fails for a cause a read-only check has not
// been written for. Each names one cause; the wordings that can hide several are hints
// (src/catalogue/hints.ts). `check` is the check whose run confirms the surroundings (and that
// would emit the code once it can see the state); `transient` is what `wait` would do with it.
// Every example is a real text: the comment above it names its source (a public thread, or the
// string's place in the tool's source), and test/explain/corpus/ holds many more.
import {define} from './types.js'

const SERVER_ADMIN_TERMINATED = define({
  code: 'SERVER_ADMIN_TERMINATED',
  check: 'server',
  status: 'fail',
  explainOnly: true,
  title: 'The server ended the session (57P01, administrator command)',
  meaning:
    'PostgreSQL closed a live connection with 57P01 "terminating connection due to administrator command": the server is shutting down or restarting (fast shutdown, failover, a managed-service maintenance), a serverless compute was suspended (Neon suspends idle computes), or someone ran pg_terminate_backend() on it. A new connection works once the server is back. No check predicts it: it is an event, not a state a read-only session can see beforehand.',
  causes: [
    'a restart, failover or maintenance of the server (RDS/Aurora, Cloud SQL, Azure, a Kubernetes operator)',
    'a serverless compute suspended after being idle (Neon: 5 minutes by default), with the pool still holding its connections',
    'pg_terminate_backend() by an administrator, a pooler or a tool',
  ],
  fix: 'Let the pool drop dead connections and retry: node-postgres `pool.on("error", …)` plus a retry of the failed query, knex/tarn `pool.min: 0` and `idleTimeoutMillis` below the compute suspend time, Prisma retries on the next query; run migrations again after the restart.',
  transient: true,
  matchers: ['terminating connection due to administrator command', '57P01', 'AdminShutdown'],
  examples: [
    // node-postgres 6 crash log, https://github.com/voxpelli/node-connect-pg-simple/issues/40
    {
      source: 'node-postgres',
      text: 'error: terminating connection due to administrator command\n    at Connection.parseE (/usr/src/app/node_modules/connect-pg-simple/node_modules/pg/lib/connection.js:539:11)',
    },
    // Npgsql during a restart, https://github.com/npgsql/npgsql/issues/2896
    {
      source: 'postgres',
      text: 'Npgsql.PostgresException (0x80004005): 57P01: terminating connection due to administrator command',
    },
  ],
})

const SERVER_IDLE_IN_TRANSACTION_TIMEOUT = define({
  code: 'SERVER_IDLE_IN_TRANSACTION_TIMEOUT',
  check: 'server',
  status: 'fail',
  explainOnly: true,
  title: 'The server ended a session idle inside a transaction (25P03)',
  meaning:
    "PostgreSQL closed a connection that sat inside an open transaction longer than `idle_in_transaction_session_timeout` (25P03 \"terminating connection due to idle-in-transaction timeout\"): the app began a transaction and did not commit or roll back in time. No check predicts it: a pool's idle connections are outside any transaction (pg-pool, tarn, sequelize-pool and postgres.js take a connection back only after its transaction ends), so the timeout never ends them; what leaves a transaction open is the app's code at run time, such as a migration's up() awaiting non-database work inside the tool's transaction (knex's batch, node-pg-migrate --single-transaction, TypeORM's \"all\" mode). knex then prints only node-postgres' \"Client has encountered a connection error and is not queryable\".",
  causes: [
    'a transaction kept open while the app waits for something else (an HTTP call, a queue, user input)',
    'a transaction never committed or released (a missing `.transacting(trx)` / `release()`)',
    '`idle_in_transaction_session_timeout` set low for the role or database',
  ],
  fix: 'Commit or roll back before waiting on anything outside the database; release every client; raise the timeout for that role only if long transactions are intended.',
  transient: false,
  matchers: ['terminating connection due to idle-in-transaction timeout', '25P03'],
  examples: [
    // PostgreSQL src/backend/tcop/postgres.c (ERRCODE_IDLE_IN_TRANSACTION_SESSION_TIMEOUT), checked in the server binary
    {source: 'postgres', text: 'FATAL:  terminating connection due to idle-in-transaction timeout'},
  ],
})

const TLS_SNI_MISSING = define({
  code: 'TLS_SNI_MISSING',
  check: 'tls',
  status: 'fail',
  explainOnly: true,
  title: "Neon's proxy cannot tell which endpoint: no SNI in the TLS handshake",
  meaning:
    "Neon's proxy routes a connection by the host name the client sends in the TLS handshake (SNI). This client sent none: libpq older than 14, a driver given an IP address instead of the host name, or a TLS setup without `servername`.",
  causes: [
    'libpq < 14 (psql, pg_dump, or a driver built on it) that does not send SNI',
    'connecting by IP address, or through a tunnel/proxy under another name',
    'a driver TLS option that drops the server name',
  ],
  fix: "Upgrade the client (libpq ≥ 14), connect by the endpoint's host name, or pass the endpoint in the options: `?options=endpoint%3Dep-xxx-123456` (the first label of the host name).",
  transient: false,
  matchers: ['Endpoint ID is not specified'],
  examples: [
    // Neon's proxy, quoted in https://neon.tech/docs/connect/connection-errors
    {
      source: 'neon',
      text: "ERROR: The endpoint ID is not specified. Either upgrade the Postgres client library (libpq) for SNI support or pass the endpoint ID (the first part of the domain name) as a parameter: '&options=endpoint%3D'. See https://neon.tech/sni for more information.",
    },
  ],
})

const CONFIG_PRISMA_OPENSSL_MISSING = define({
  code: 'CONFIG_PRISMA_OPENSSL_MISSING',
  check: 'config',
  status: 'fail',
  explainOnly: true,
  title: "Prisma's engine cannot find OpenSSL on this system",
  meaning:
    "Prisma's query and schema engines are native binaries linked against the system's libssl. Prisma could not find a libssl (slim or Alpine images without openssl), guessed openssl-1.1.x, and the engine then fails to load: the connection never starts, whatever the database.",
  causes: [
    'a slim or Alpine base image without the openssl package',
    'an image whose OpenSSL differs from the one the engine was generated for (binaryTargets)',
  ],
  fix: 'Install OpenSSL in the image (`apt-get install -y openssl` on Debian slim, `apk add openssl` on Alpine), then run `prisma generate` again; set `binaryTargets` in the generator when building on another system.',
  transient: false,
  matchers: [
    'failed to detect the libssl/openssl version',
    {re: /Error loading shared library libssl\.so/i, needle: 'libssl.so'},
  ],
  examples: [
    // https://github.com/enricoros/big-AGI/pull/706 (Alpine, Prisma 5.22)
    {
      source: 'prisma',
      text: 'prisma:warn Prisma failed to detect the libssl/openssl version to use, and may not work as expected. Defaulting to "openssl-1.1.x".\nPlease manually install OpenSSL and try installing Prisma again.',
    },
  ],
})

const MIGRATION_ENUM_VALUE_UNCOMMITTED = define({
  code: 'MIGRATION_ENUM_VALUE_UNCOMMITTED',
  check: 'migrations',
  status: 'fail',
  explainOnly: true,
  title: 'A new enum value used in the transaction that added it (55P04)',
  meaning:
    'A migration added a value to an enum type (ALTER TYPE … ADD VALUE) and used it before the transaction committed: PostgreSQL refuses with 55P04 "unsafe use of new value … of enum type …" (hint: "New enum values must be committed before they can be used"). Tools that run several migrations in one transaction hit it across files.',
  causes: [
    'ADD VALUE and an UPDATE/DEFAULT/INSERT using the value in the same migration',
    'two migrations applied in one transaction (knex `migrate:latest` runs the batch in one transaction unless `disableTransactions`; TypeORM `transaction: "all"`; drizzle-kit migrate)',
  ],
  fix: 'Commit the new value first: put ADD VALUE in its own migration and run it without a transaction (knex `exports.config = {transaction: false}`, node-pg-migrate `pgm.noTransaction()`, TypeORM `transaction = false`), or apply the migrations one at a time.',
  transient: false,
  matchers: [{re: /unsafe use of new value "[^"\n]{0,200}" of enum type/i, needle: 'unsafe use of new value'}, '55P04'],
  examples: [
    // PostgreSQL src/backend/utils/adt/enum.c (check_safe_enum_use), checked in the server binary; produced live
    {
      source: 'postgres',
      text: 'ERROR:  unsafe use of new value "archived" of enum type status\nHINT:  New enum values must be committed before they can be used.',
    },
  ],
})

const AUTH_DRIVER_NO_SCRAM = define({
  code: 'AUTH_DRIVER_NO_SCRAM',
  check: 'auth',
  status: 'fail',
  explainOnly: true,
  title: 'The driver is too old for SCRAM-SHA-256 authentication',
  meaning:
    'The server asks for SCRAM-SHA-256 (the default `password_encryption` since PostgreSQL 14, and on every managed service) and the driver does not implement it: node-postgres before 7.9 (SASL/SCRAM arrived in 7.9.0, node-postgres CHANGELOG) throws "Unknown authenticationOk message type", drivers of other languages "Auth type 10 not implemented" / "authentication method 10 not supported" (postgres.js has had SCRAM since its first release). No check emits it: on Node 14 and later (db-doctor itself needs 20) a pg before 7.9 never reaches authentication, its connect() never returns, and the config check says so (CONFIG_DRIVER_TOO_OLD, naming the missing SCRAM too); this text comes from an app that runs an older Node than db-doctor, which db-doctor cannot see.',
  causes: [
    'pg < 7.9 (often pulled in by an old knex, sequelize or typeorm lockfile) against PostgreSQL ≥ 14 or a managed service',
    'an old driver in another language (libpq < 10, old JDBC) against a SCRAM server',
  ],
  fix: "Upgrade the driver: `npm install pg@8` (pg ≥ 8.0.3 also fixes connect() never returning on Node ≥ 14); only if that is impossible, store the role's password as md5 (not recommended).",
  transient: false,
  matchers: [
    // pg 7 appends util.inspect(msg) without a space: "…message typeMessage { name: 'authenticationOk', … }"
    {re: /Unknown authenticationOk message type/, needle: 'unknown authenticationok message type'},
    {re: /(?:Auth(?:entication)? type|authentication method) 10 not (?:implemented|supported)/i, needle: ' 10 not'},
    {re: /(?:Auth(?:entication)? type|authentication method) 10 is not supported/i, needle: ' 10 is not supported'},
  ],
  examples: [
    // pg 7.x lib/connection.js:504 (parseR); produced live with pg-7 against the SCRAM test server
    {
      source: 'node-postgres',
      text: "Error: Unknown authenticationOk message typeMessage { name: 'authenticationOk', length: 23 }\n    at Connection.parseR (node_modules/pg/lib/connection.js:504:9)",
    },
  ],
})

const CONFIG_KNEX_DESTROYED = define({
  code: 'CONFIG_KNEX_DESTROYED',
  check: 'config',
  status: 'fail',
  explainOnly: true,
  title: 'knex has no pool: used after destroy(), or given no connection',
  meaning:
    'knex throws "Unable to acquire a connection" when it has no pool (lib/client.js acquireConnection): `knex.destroy()` ran (a test teardown, a serverless handler, a script\'s finally) and the same instance was used again, or knex was created with an empty `connection` (a `process.env.DATABASE_URL` that is not set where the knex CLI runs: no pool is made). The database was never asked.',
  causes: [
    'the knexfile reads `connection: process.env.DATABASE_URL` and the variable is only in `.env`, which the knex CLI never reads (`db-doctor check` says CONFIG_ENV_FILE_NOT_LOADED)',
    '`knex.destroy()` in a shared module, a test `afterAll` or a request handler, then another query on the same instance',
    'a migration script that destroys knex before its last promise settles',
  ],
  fix: 'Create one knex instance per process and destroy it only at shutdown; in tests, destroy in the last `afterAll` only; await every query before `destroy()`.',
  transient: false,
  matchers: ['Unable to acquire a connection'],
  examples: [
    // knex 3.3 lib/client.js:462 (acquireConnection without a pool)
    {
      source: 'knex',
      text: 'Error: Unable to acquire a connection\n    at Client_PG.acquireConnection (node_modules/knex/lib/client.js:462:13)\n    at Runner.ensureConnection (node_modules/knex/lib/execution/runner.js:305:46)',
    },
  ],
})

const CONFIG_DRIZZLE_ORM_MISMATCH = define({
  code: 'CONFIG_DRIZZLE_ORM_MISMATCH',
  check: 'config',
  status: 'fail',
  explainOnly: true,
  title: 'drizzle-kit cannot use the installed drizzle-orm',
  meaning:
    'Before it connects, drizzle-kit loads drizzle-orm and compares its API version with its own: drizzle-orm is not installed where drizzle-kit runs ("Please install latest version of drizzle-orm"), or one of the two is older than the other expects. drizzle-kit prints the line and exits 1; no database was asked.',
  causes: [
    'drizzle-orm is not a dependency of the app that runs drizzle-kit (or was pruned from the image that runs migrations)',
    'drizzle-kit was upgraded without drizzle-orm, or the other way round',
    "drizzle-kit runs through npx or a global install that does not see the app's drizzle-orm",
  ],
  fix: 'Install both from the same release line in the app that runs the migration: `npm install drizzle-orm@latest && npm install -D drizzle-kit@latest` (or pin the pair the drizzle release notes name together).',
  transient: false,
  matchers: [
    'Please install latest version of drizzle-orm',
    'This version of drizzle-kit requires newer version of drizzle-orm',
    'This version of drizzle-kit is outdated',
  ],
  examples: [
    // drizzle-kit 0.31 bin.cjs (assertOrmCoreVersion): drizzle-orm cannot be imported; produced live in
    // test/explain/live.test.ts
    {source: 'drizzle-kit', text: 'Please install latest version of drizzle-orm'},
    // drizzle-kit 0.31 bin.cjs (assertOrmCoreVersion): drizzle-orm's compatibilityVersion below drizzle-kit's
    {
      source: 'drizzle-kit',
      text: 'This version of drizzle-kit requires newer version of drizzle-orm\nPlease update drizzle-orm package to the latest version 👍',
    },
  ],
})

export const pastedEntries = [
  SERVER_ADMIN_TERMINATED,
  SERVER_IDLE_IN_TRANSACTION_TIMEOUT,
  TLS_SNI_MISSING,
  CONFIG_PRISMA_OPENSSL_MISSING,
  MIGRATION_ENUM_VALUE_UNCOMMITTED,
  AUTH_DRIVER_NO_SCRAM,
  CONFIG_KNEX_DESTROYED,
  CONFIG_DRIZZLE_ORM_MISMATCH,
]
