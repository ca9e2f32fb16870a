// Wordings that hide their cause: one message, several possible codes. `explain`
// lists the candidates in order and the checks that tell them apart.
import {checksThrough} from './index.js'
import type {Example, Matcher} from './types.js'

export interface Hint {
  /** Stable id (kebab-case); hints are not report codes. */
  id: string
  title: string
  meaning: string
  /** The codes that can be behind it, most likely first. */
  candidates: string[]
  /** Likely causes in order, in words. */
  causes: string[]
  fix: string
  /** The checks that find the real cause: the run through this check (an id of the registry)… */
  through: string
  /** …and these checks after it. */
  also?: string[]
  matchers: Matcher[]
  examples: Example[]
}

export const hints: readonly Hint[] = [
  {
    id: 'knex-acquire-timeout',
    title: 'knex timed out acquiring a connection (the cause is hidden)',
    meaning:
      "knex's pool gave up waiting for a connection (acquireConnectionTimeout, 60 s by default). When the pool is not really full, each attempt to open a connection failed or hung, and knex replaced the real error with this one.",
    candidates: [
      'TCP_TIMEOUT',
      'TCP_IPV6_FAILED',
      'DNS_TIMEOUT',
      'PG_NO_RESPONSE',
      'TLS_SELF_SIGNED_CHAIN',
      'AUTH_PASSWORD_FAILED',
      'AUTH_TOO_MANY_CONNECTIONS',
    ],
    causes: [
      'the server is unreachable and connects hang (firewall, security group, VPN): TCP_TIMEOUT',
      'a dead IPv6 path next to a working IPv4 one: TCP_IPV6_FAILED',
      'DNS hangs: DNS_TIMEOUT',
      'a proxy or tunnel accepts and never answers: PG_NO_RESPONSE',
      'TLS or authentication errors swallowed by the pool: TLS_*, AUTH_*',
      'the pool really is full: a transaction not released, or pool.max too small (AUTH_TOO_MANY_CONNECTIONS on the server side)',
      'an old node-postgres (pg < 8.0.3) on Node ≥ 14: its connect() never returns, so every acquire times out (upgrade pg)',
    ],
    fix: 'Run the confirm line where the app runs to see the real error; if every check passes, look for a transaction that is never committed or released.',
    through: 'auth',
    matchers: ['Timeout acquiring a connection', 'KnexTimeoutError'],
    // knex 3.3 lib/client.js acquireConnection (the tarn TimeoutError converted to a KnexTimeoutError)
    examples: [
      {
        source: 'knex',
        text: 'KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?\n    at Client_PG.acquireConnection (node_modules/knex/lib/client.js:332:26)',
      },
    ],
  },
  {
    id: 'prisma-cannot-reach',
    title: "Prisma can't reach the database server (P1001)",
    meaning:
      'Prisma could not open a TCP connection to the server; its message does not say whether the name, the route or the port failed.',
    candidates: [
      'DNS_NOT_FOUND',
      'TCP_REFUSED',
      'TCP_TIMEOUT',
      'DNS_IPV6_ONLY',
      'TCP_UNREACHABLE',
      'DOCKER_SERVICE_NAME_FROM_HOST',
    ],
    causes: [
      'the host does not resolve here: DNS_NOT_FOUND (or DOCKER_SERVICE_NAME_FROM_HOST)',
      'nothing listens on the port: TCP_REFUSED',
      'packets are dropped (firewall, allow-list, VPN): TCP_TIMEOUT',
      'an IPv6-only host from an IPv4-only network (Supabase direct host): DNS_IPV6_ONLY',
    ],
    fix: 'Run the confirm line where `prisma migrate` runs; it names which step fails and what to change.',
    through: 'docker',
    matchers: ["Can't reach database server", 'P1001'],
    examples: [
      // P1001 DatabaseNotReachable, prisma-engines libs/user-facing-errors/src/common.rs (older engines quote host and
      // port apart, newer ones together: https://github.com/evolution-foundation/evolution-api/issues/1087)
      {
        source: 'prisma',
        text: "Error: P1001: Can't reach database server at `db.example.com`:`5432`\n\nPlease make sure your database server is running at `db.example.com`:`5432`.",
      },
      {
        source: 'prisma',
        text: "Error: P1001: Can't reach database server at `localhost:5432`\n\nPlease make sure your database server is running at `localhost:5432`.",
      },
    ],
  },
  {
    id: 'prisma-tls',
    title: 'Prisma could not open a TLS connection (P1011)',
    meaning: "Prisma's engine failed the TLS handshake; the text in parentheses, when present, is the OpenSSL reason.",
    candidates: [
      'TLS_SELF_SIGNED_CHAIN',
      'TLS_UNTRUSTED_ISSUER',
      'TLS_HOSTNAME_MISMATCH',
      'TLS_EXPIRED',
      'TLS_NOT_SUPPORTED',
      'TLS_HANDSHAKE_FAILED',
    ],
    causes: [
      'an untrusted chain (private or provider CA)',
      'a host name the certificate does not cover',
      'an expired certificate',
      'a server without TLS',
    ],
    fix: "Trust the server's CA (`sslrootcert=` in the URL, `sslaccept=strict`) rather than accepting any certificate.",
    through: 'tls',
    matchers: ['Error opening a TLS connection', 'P1011'],
    // P1011 TlsConnectionError ("Error opening a TLS connection: {message}"), prisma-engines libs/user-facing-errors/src/common.rs
    examples: [{source: 'prisma', text: 'Error: P1011: Error opening a TLS connection: bad certificate format'}],
  },
  {
    id: 'prisma-timeout-reached',
    title: 'Prisma reached the server but timed out (P1002)',
    meaning:
      "Prisma's engine connected and then waited too long. Its `Context:` line says for what: `Timed out trying to acquire a postgres advisory lock` is `prisma migrate` waiting 10 s for its lock 72707369 (another migrate run holds it, or a transaction pooler lost it); otherwise the server or a proxy accepted and did not answer.",
    candidates: ['MIGRATION_LOCKED', 'POOLER_TRANSACTION_MODE', 'PG_NO_RESPONSE', 'AUTH_SERVER_STARTING'],
    causes: [
      'another `prisma migrate` run holds the advisory lock (a second pod, a parallel CI job, a hung run): MIGRATION_LOCKED',
      'migrate through a transaction pooler (PgBouncer, Supavisor 6543, Neon -pooler) without directUrl: POOLER_TRANSACTION_MODE',
      'a proxy or tunnel that accepts and never answers: PG_NO_RESPONSE',
    ],
    fix: 'Run the confirm line with the URL migrate uses; for the lock, wait for the other run or end a dead holder; through a pooler, set `directUrl` to a direct or session connection.',
    through: 'migrations',
    matchers: ['P1002', 'was reached but timed out'],
    // P1002 DatabaseTimeout, prisma-engines libs/user-facing-errors/src/common.rs
    examples: [
      {
        source: 'prisma',
        text: 'Error: P1002: The database server at `db.example.com`:`5432` was reached but timed out.\n\nPlease try again.\n\nPlease make sure your database server is running at `db.example.com`:`5432`.',
      },
    ],
  },
  {
    id: 'prisma-access-denied',
    title: 'Prisma: the server refused this user on this database (P1010)',
    meaning:
      'Prisma turns every 28000 answer of PostgreSQL into P1010 (quaint connector/postgres/error.rs): no pg_hba.conf line admits this host/user/database (or one rejects it, or requires TLS), the role may not log in, or the role does not exist under `trust`. The database name it shows is `<database>.<schema>`.',
    candidates: ['AUTH_HBA_REJECTED', 'AUTH_SSL_REQUIRED', 'AUTH_ROLE_NOLOGIN', 'AUTH_ROLE_NOT_FOUND'],
    causes: [
      "no pg_hba.conf line for this client's address, user or database: AUTH_HBA_REJECTED",
      'the server only admits TLS and the URL has no sslmode: AUTH_SSL_REQUIRED',
      'a NOLOGIN role: AUTH_ROLE_NOLOGIN',
    ],
    fix: 'Run the confirm line with the same URL: the auth check gives the exact server message and the line or grant to change.',
    through: 'auth',
    matchers: [
      {re: /User `[^`]{0,300}` was denied access on the database/i, needle: 'was denied access on the database'},
      'P1010',
    ],
    // P1010 DatabaseAccessDenied, prisma-engines libs/user-facing-errors/src/common.rs (database_name = "<db>.<schema>", quaint.rs)
    examples: [{source: 'prisma', text: 'Error: P1010: User `app` was denied access on the database `appdb.public`'}],
  },
  {
    id: 'prisma-timeout',
    title: 'Prisma operations timed out (P1008)',
    meaning: 'An operation did not finish in time: a slow or unreachable server, a lock, or an exhausted pool.',
    candidates: ['TCP_TIMEOUT', 'PG_NO_RESPONSE', 'AUTH_TOO_MANY_CONNECTIONS', 'AUTH_SERVER_STARTING'],
    causes: [
      'packets dropped on the way (TCP_TIMEOUT)',
      'a proxy that accepts and never answers (PG_NO_RESPONSE)',
      'connection limits reached (AUTH_TOO_MANY_CONNECTIONS)',
    ],
    fix: 'Run the confirm line where the app runs.',
    through: 'auth',
    matchers: ['Operations timed out after', 'P1008'],
    // P1008 DatabaseOperationTimeout ("Operations timed out after `{time}`"), prisma-engines libs/user-facing-errors/src/common.rs
    examples: [{source: 'prisma', text: 'Error: P1008: Operations timed out after `10s`'}],
  },
  {
    id: 'prisma-shadow-database',
    title: 'Prisma Migrate could not create the shadow database (P3014)',
    meaning:
      '`prisma migrate dev` creates a temporary shadow database; the user may not create databases (managed databases often forbid it).',
    candidates: ['PRIV_NO_CREATEDB', 'AUTH_DATABASE_NOT_FOUND'],
    causes: ['the role lacks CREATEDB', 'a managed database that forbids CREATE DATABASE (set shadowDatabaseUrl)'],
    fix: 'Grant CREATEDB to the migration role, or set `shadowDatabaseUrl` to a database you create once; in CI and production use `prisma migrate deploy`, which needs no shadow database.',
    through: 'auth',
    also: ['privileges'],
    matchers: ['could not create the shadow database', 'P3014'],
    examples: [
      // P3014 ShadowDbCreationError, prisma-engines libs/user-facing-errors/src/schema_engine.rs
      {
        source: 'prisma',
        text: 'Error: P3014\n\nPrisma Migrate could not create the shadow database. Please make sure the database user has permission to create databases. Read more about the shadow database (and workarounds) at https://pris.ly/d/migrate-shadow\n\nOriginal error: \nERROR: permission denied to create database',
      },
    ],
  },
  {
    id: 'prisma-create-database',
    title: 'Prisma could not create the database (P3000)',
    meaning:
      'Prisma tried to create the database named in the URL and the server refused; the reason follows the code.',
    candidates: ['AUTH_DATABASE_NOT_FOUND', 'AUTH_PASSWORD_FAILED'],
    causes: ['the role may not create databases', 'the database name in the URL is not the one that exists'],
    fix: 'Create the database once as an administrator, or fix its name in the URL.',
    through: 'auth',
    matchers: ['Failed to create database', 'P3000'],
    // P3000 DatabaseCreationFailed ("Failed to create database: {database_error}"), prisma-engines libs/user-facing-errors/src/schema_engine.rs
    examples: [
      {source: 'prisma', text: 'Error: P3000\n\nFailed to create database: permission denied to create database'},
    ],
  },
  {
    id: 'pgbouncer-wait-timeout',
    title: 'PgBouncer gave up waiting for a server connection (query_wait_timeout, client_login_timeout)',
    meaning:
      'PgBouncer kept the client waiting for a server connection longer than `query_wait_timeout` (or, before the first login, `client_login_timeout`) and closed it: either every server connection of the pool is busy, or PgBouncer cannot open one to PostgreSQL at all ("(server down)").',
    candidates: ['AUTH_TOO_MANY_CONNECTIONS', 'AUTH_CONNECTION_FAILED', 'TCP_TIMEOUT', 'AUTH_PASSWORD_FAILED'],
    causes: [
      'the pool is exhausted: `default_pool_size` too small for the clients, or long transactions hold the server connections',
      'PgBouncer cannot reach or log in to PostgreSQL (its own `server_login_retry` errors in its log): the server is down, unreachable, or rejects the auth_file credentials',
    ],
    fix: 'Run the confirm line through PgBouncer and directly against PostgreSQL: if the direct login works, raise `default_pool_size` / end long transactions; otherwise fix what PgBouncer cannot reach.',
    through: 'auth',
    // PgBouncer src/janitor.c (FATAL since 1.16)
    // the error, not a pasted pgbouncer.ini line setting it
    matchers: [
      {re: /\bquery_wait_timeout(?!\s{0,10}=)/, needle: 'query_wait_timeout'},
      {re: /\bclient_login_timeout(?!\s{0,10}=)/, needle: 'client_login_timeout'},
    ],
    examples: [
      {source: 'pgbouncer', text: 'FATAL:  query_wait_timeout'},
      {source: 'pgbouncer', text: 'FATAL:  client_login_timeout (server down)'},
    ],
  },
  {
    id: 'pg-connection-timeout',
    title: 'node-postgres connection timeout (the cause is hidden)',
    meaning:
      "node-postgres gave up after connectionTimeoutMillis: the TCP connection, the TLS handshake or the server's answer did not come in time.",
    candidates: ['TCP_TIMEOUT', 'TCP_IPV6_FAILED', 'PG_NO_RESPONSE', 'DNS_TIMEOUT'],
    causes: [
      'packets dropped (firewall, allow-list): TCP_TIMEOUT',
      'a dead IPv6 path: TCP_IPV6_FAILED',
      'a proxy that never answers: PG_NO_RESPONSE',
    ],
    fix: 'Run the confirm line where the app runs.',
    through: 'postgres',
    // pg/lib/client.js ("timeout expired", a bare Client with connectionTimeoutMillis); pg-pool/index.js ("Connection
    // terminated due to connection timeout" when connecting timed out, "timeout exceeded when trying to connect" when no
    // pooled client came free in time); libpq prints "timeout expired" for connect_timeout (fe-connect.c).
    matchers: [
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'timeout expired',
    ],
    examples: [
      {
        source: 'node-postgres',
        text: 'Error: timeout exceeded when trying to connect\n    at Timeout._onTimeout (node_modules/pg-pool/index.js:205:27)',
      },
      {
        source: 'node-postgres',
        text: 'Error: Connection terminated due to connection timeout\n    at node_modules/pg-pool/index.js:45:11 {\n  [cause]: Error: Connection terminated unexpectedly',
      },
      {
        source: 'node-postgres',
        text: 'Error: timeout expired\n    at Timeout._onTimeout (node_modules/pg/lib/client.js:170:28)',
      },
      {
        source: 'libpq',
        text: 'psql: error: connection to server at "db.example.com" (2001:db8::10), port 5432 failed: timeout expired',
      },
    ],
  },
  {
    id: 'postgresjs-connect-timeout',
    title: 'postgres.js connection timeout (the cause is hidden)',
    meaning:
      "postgres.js gave up after `connect_timeout` (30 s by default): `write CONNECT_TIMEOUT host:port` says only that the TCP connection, the TLS handshake or the server's first answer did not come in time.",
    candidates: ['TCP_TIMEOUT', 'TCP_IPV6_FAILED', 'PG_NO_RESPONSE', 'DNS_TIMEOUT', 'AUTH_SERVER_STARTING'],
    causes: [
      'packets dropped on the way (firewall, security group, allow-list, VPN): TCP_TIMEOUT',
      'a dead IPv6 path next to a working IPv4 one: TCP_IPV6_FAILED',
      'a proxy or tunnel that accepts and never answers, or a serverless compute still waking up: PG_NO_RESPONSE',
    ],
    fix: 'Run the confirm line where the app runs: it names the step that hangs.',
    through: 'postgres',
    // postgres.js 4.2 src/startup.js:239 and src/errors.js connection() ("write " + code + " " + host:port); 3.4 cjs/src/connection.js
    matchers: [{re: /\bCONNECT_TIMEOUT\b/, needle: 'connect_timeout'}],
    examples: [
      {
        source: 'postgres.js',
        text: "Error: write CONNECT_TIMEOUT db.example.com:5432\n    at connected (node_modules/postgres/src/startup.js:239:86) {\n  code: 'CONNECT_TIMEOUT',\n  errno: 'CONNECT_TIMEOUT',\n  address: 'db.example.com',\n  port: 5432\n}",
      },
    ],
  },
  {
    id: 'postgresjs-connection-closed',
    title: 'postgres.js: the connection was closed under it (the cause is hidden)',
    meaning:
      "postgres.js reports `write CONNECTION_CLOSED host:port` whenever the socket closed without a PostgreSQL error it could read: the server or something on the way ended the connection. Which one, the server's log or the earlier lines say.",
    candidates: [
      'SERVER_ADMIN_TERMINATED',
      'SERVER_IDLE_SESSION_TIMEOUT',
      'PG_NO_RESPONSE',
      'POOLER_TRANSACTION_MODE',
      'AUTH_SSL_REQUIRED',
    ],
    causes: [
      'the server restarted, failed over, or a serverless compute was suspended (Neon): SERVER_ADMIN_TERMINATED',
      "an idle connection ended by a NAT/load balancer idle timeout, or by the server's `idle_session_timeout` just as a query was sent on it (otherwise postgres.js reconnects on the next query: measured in test/checks/server-idle-drivers.test.ts): SERVER_IDLE_SESSION_TIMEOUT",
      'a proxy, pooler or tunnel that drops the connection: PG_NO_RESPONSE',
      'a server that closes plain-text connections without an error: AUTH_SSL_REQUIRED',
    ],
    fix: 'Set postgres.js `idle_timeout` (seconds) below any idle limit on the way and `max_lifetime`; run the confirm line where the app runs to see whether a fresh connection works.',
    through: 'server',
    // postgres.js 4.2 src/connection.js:820, src/pool.js:472, src/startup.js:118
    matchers: [{re: /\bCONNECTION_CLOSED\b/, needle: 'connection_closed'}],
    examples: [
      // https://github.com/porsager/postgres/issues/921 (Neon pooler)
      {
        source: 'postgres.js',
        text: 'Error: write CONNECTION_CLOSED ep-wandering-snowflake-a2isl6k2-pooler.eu-central-1.aws.neon.tech:5432\n    at TLSSocket.closed (/home/container/node_modules/postgres/cjs/src/connection.js:438:57)',
      },
    ],
  },
  {
    id: 'pg-client-not-queryable',
    title: 'node-postgres: the connection had already failed (the cause is hidden)',
    meaning:
      "node-postgres answers `Client has encountered a connection error and is not queryable` to a query sent on a client whose connection already failed: the real error came earlier, as the client's 'error' event, and is often not logged. In a migration it is typically the server ending the session while the migration's transaction waited on something else (knex runs the whole batch in one transaction and prints only this line): the server log, or the lines before, hold the 25P03, 57P01 or 57P05.",
    candidates: [
      'SERVER_IDLE_IN_TRANSACTION_TIMEOUT',
      'SERVER_ADMIN_TERMINATED',
      'SERVER_IDLE_SESSION_TIMEOUT',
      'PG_NO_RESPONSE',
    ],
    causes: [
      "a transaction left idle longer than `idle_in_transaction_session_timeout` while the code awaited non-database work (an HTTP call, a file, a computation in a migration's up()): SERVER_IDLE_IN_TRANSACTION_TIMEOUT",
      'the server restarted, failed over, a serverless compute was suspended, or pg_terminate_backend(): SERVER_ADMIN_TERMINATED',
      "a client held idle past the server's `idle_session_timeout`: SERVER_IDLE_SESSION_TIMEOUT",
      'a proxy, NAT or load balancer dropped the connection: PG_NO_RESPONSE',
    ],
    fix: "Log the client's or pool's 'error' event to see the first error; keep non-database work out of transactions (run it before or after the migration's statements); run the confirm line with the app's role to see its idle timeouts.",
    through: 'server',
    // node-postgres lib/client.js:767 (8.23; 537 in 8.0.2, 528 in 7.18), _queryable false after a connection error
    matchers: ['Client has encountered a connection error and is not queryable'],
    examples: [
      // produced live by the knex 3.3 CLI with pg 8.23 (test/explain/live.test.ts): a migration that waited 1.5 s
      // inside knex's batch transaction with idle_in_transaction_session_timeout = 500ms
      {
        source: 'knex',
        text: 'migration file "20240101000000_backfill.cjs" failed\nmigration failed with error: insert into backfill values (1) - Client has encountered a connection error and is not queryable\nError: ROLLBACK - Client has encountered a connection error and is not queryable\n    at node_modules/pg/lib/client.js:767:27',
      },
    ],
  },
  {
    id: 'scram-server-proof',
    title: 'The server side did not prove the password at the end of SCRAM (node-postgres)',
    meaning:
      "node-postgres checks the server's SCRAM signature after sending its own proof. A missing or different signature means what answered is not the server holding this password: a pooler or proxy with its own, different SCRAM secret, a pooler with a faulty SCRAM implementation, or an error (`e=`) in the final message.",
    candidates: ['AUTH_PASSWORD_FAILED', 'AUTH_CHANNEL_BINDING', 'AUTH_CONNECTION_FAILED'],
    causes: [
      "a pooler (PgBouncer auth_file, pgcat, pgagroal) whose stored secret for the user differs from the server's: AUTH_PASSWORD_FAILED",
      'a proxy that ends authentication without a server-final message, or channel binding mismatched by TLS termination: AUTH_CHANNEL_BINDING',
    ],
    fix: "Run the confirm line against the pooler and directly against the server; make the pooler's secret for the user the server's SCRAM secret (or use auth_query), and keep TLS verification on.",
    through: 'auth',
    // node-postgres 8 lib/crypto/sasl.js:140 (does not match), :228 (server returned error), :232 (missing)
    matchers: [
      'SCRAM-SERVER-FINAL-MESSAGE: server signature is missing',
      'SCRAM-SERVER-FINAL-MESSAGE: server signature does not match',
      'SCRAM-SERVER-FINAL-MESSAGE: server returned error',
      'SASL_SIGNATURE_MISMATCH',
    ],
    examples: [
      {source: 'node-postgres', text: 'Error: SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature is missing'},
      // postgres.js 4.2 src/startup.js:357
      {
        source: 'postgres.js',
        text: 'Error: SASL_SIGNATURE_MISMATCH: The server did not return the correct signature',
      },
    ],
  },
  {
    id: 'cloud-sql-proxy-dial',
    title: 'The Cloud SQL Auth Proxy could not reach the instance (failed to dial)',
    meaning:
      "The app reached the Cloud SQL Auth Proxy, and the proxy could not open its own connection to the instance (port 3307): the proxy's log line carries the real cause after `failed to dial`.",
    candidates: ['TCP_TIMEOUT', 'TCP_REFUSED', 'TCP_UNREACHABLE', 'AUTH_CONNECTION_FAILED'],
    causes: [
      'a private-IP instance dialled from outside its VPC, or a firewall without egress to port 3307: TCP_TIMEOUT',
      'the wrong IP type (`--private-ip` for a public-only instance, or the reverse): TCP_UNREACHABLE',
      "the proxy's service account lacks the Cloud SQL Client role, or the SQL Admin API is off: AUTH_CONNECTION_FAILED",
    ],
    fix: "Read the proxy's own log line for the cause after `failed to dial`; give the proxy's identity roles/cloudsql.client, use `--private-ip` only from inside the VPC, and allow egress to port 3307.",
    through: 'postgres',
    // cloud-sql-proxy v2 (cloudsqlconn dialer), https://github.com/GoogleCloudPlatform/cloud-sql-proxy/issues/1840
    matchers: ['failed to dial', 'failed to connect to instance: Dial error'],
    examples: [
      {
        source: 'google-cloud-sql',
        text: 'failed to connect to instance: Dial error: failed to dial (connection name = "my-project:europe-west1:db"): dial tcp 10.20.0.3:3307: i/o timeout',
      },
    ],
  },
  {
    id: 'drizzle-kit-params-missing',
    title: 'drizzle-kit got no connection settings (an environment variable was empty)',
    meaning:
      "drizzle-kit's config gave `dbCredentials` no URL (or no host/database): the variable the config reads (`process.env.DATABASE_URL`) was not set in the process that ran drizzle-kit, which prints `[x] url: undefined` and exits 1 before connecting.",
    candidates: ['CONFIG_ENV_FILE_NOT_LOADED', 'CONFIG_NOT_FOUND'],
    causes: [
      'the variable is in a file drizzle-kit does not load: it loads only `.env` of the working folder (not `.env.local`, `.env.development`): CONFIG_ENV_FILE_NOT_LOADED',
      'the variable is set nowhere in this environment (CI secret, container env, another shell): CONFIG_NOT_FOUND',
    ],
    fix: 'Run the confirm line from the folder and environment drizzle-kit runs in: it names the variable and the file it is in; load that file in drizzle.config.ts (`config({path: ".env.local"})`) or set the variable.',
    through: 'config',
    // drizzle-kit 0.31 bin.cjs (postgresCredentials check before preparePostgresDB); https://github.com/TanStack/cli/pull/247
    matchers: ['Please provide required params for Postgres driver'],
    examples: [
      {
        source: 'drizzle-kit',
        text: ' Error  Please provide required params for Postgres driver:\n    [x] url: undefined',
      },
    ],
  },
  {
    id: 'prisma-pool-timeout',
    title: "Prisma's pool timed out (P2024; the connect error is hidden)",
    meaning:
      'Prisma waited `pool_timeout` (10 s) for a connection from its pool and got none: either every connection is busy (long queries, `connection_limit` too small for the load), or opening new ones fails, and then P2024 hides the connect error.',
    candidates: [
      'AUTH_TOO_MANY_CONNECTIONS',
      'TCP_TIMEOUT',
      'PG_NO_RESPONSE',
      'POOLER_TRANSACTION_MODE',
      'SERVER_CONNECTIONS_EXHAUSTED',
    ],
    causes: [
      'the pool is busy: slow queries or interactive transactions hold every connection; `connection_limit` too small (serverless: 1 per instance)',
      'new connections fail or hang (the earlier log lines show P1001/P1017): TCP_TIMEOUT, PG_NO_RESPONSE',
      'the server is out of slots for this role: AUTH_TOO_MANY_CONNECTIONS, SERVER_CONNECTIONS_EXHAUSTED',
    ],
    fix: 'Run the confirm line with the same URL; if every check passes, raise `connection_limit`/`pool_timeout` in the URL, shorten transactions, or put a pooler in front (`pgbouncer=true`).',
    through: 'pooler',
    // P2024 PoolTimeout, prisma-engines libs/user-facing-errors/src/query_engine.rs (https://github.com/prisma/prisma-engines/pull/2403)
    matchers: [
      'P2024',
      'Timed out fetching a new connection from the connection pool',
      'Timed out fetching a new connection from the pool',
    ],
    examples: [
      {
        source: 'prisma',
        text: 'Invalid `prisma.user.findMany()` invocation:\nTimed out fetching a new connection from the connection pool. More info: http://pris.ly/d/connection-pool (Current connection pool timeout: 10, connection limit: 5)',
      },
    ],
  },
]

/** The checks that find a hint's real cause (`order`: the check ids in the registry's order, see checksThrough). */
export function hintChecks(h: Hint, order: readonly string[]): string[] {
  return [...checksThrough(h.through, order), ...(h.also ?? [])]
}

/**
 * The command line that confirms a hint: the whole run when it needs the checks through auth (a login) or
 * more, else the checks it needs.
 */
export function hintConfirmCommand(h: Hint, order: readonly string[]): string {
  const ids = hintChecks(h, order)
  return ids.length >= order.indexOf('auth') + 1 ? 'db-doctor check' : `db-doctor check --only ${ids.join(',')}`
}
