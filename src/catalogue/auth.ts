// Codes of the `auth` check (a real login in a read-only session).
import {define} from './types.js'

export const authEntries = [
  define({
    code: 'AUTH_PASSWORD_FAILED',
    check: 'auth',
    status: 'fail',
    title: 'Password rejected',
    meaning: 'The server rejected the password (28P01). Under SCRAM a role that does not exist gets the same answer.',
    causes: [
      'a wrong or rotated password (or one set in another .env / secret)',
      'a password with special characters that was not percent-encoded in the URL',
      'a wrong user name (under SCRAM a missing role looks the same)',
      'an expired IAM / Entra token (AWS RDS, Azure)',
    ],
    fix: 'Correct the password where it came from (percent-encoded in URLs) and check the user name.',
    transient: false,
    matchers: [
      {re: /password authentication failed for user "[^"]{0,300}"/i, needle: 'password authentication failed'},
      'password authentication failed',
      '28P01',
      {re: /PAM authentication failed for user/i, needle: 'pam authentication failed'},
      'Authentication failed against database server',
      'P1000',
    ],
    examples: [
      {source: 'node-postgres', text: "error: password authentication failed for user \"app\"\n    at Parser.parseErrorMessage (node_modules/pg-protocol/dist/parser.js:285:98) { length: 102, severity: 'FATAL', code: '28P01' }"},
      {source: 'libpq', text: 'psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "app"'},
      // Prisma P1000 (28P01 → AuthenticationFailed): template of IncorrectDatabaseCredentials, prisma-engines
      // libs/user-facing-errors/src/common.rs, as the CLI prints it ("Error: P1000: …").
      {source: 'prisma', text: 'Error: P1000: Authentication failed against database server at `db.example.com`, the provided database credentials for `app` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at `db.example.com`.'},
      {source: 'aws-rds', text: 'psql: error: connection to server at "mydb.c9akciq32.us-east-1.rds.amazonaws.com" (10.0.1.12), port 5432 failed: FATAL:  PAM authentication failed for user "iam_user"'},
    ],
  }),
  define({
    code: 'AUTH_PASSWORD_MISSING',
    check: 'auth',
    status: 'fail',
    title: 'No password configured',
    meaning:
      'The server asked for a password and none is configured. When a password file exists (`~/.pgpass` or `PGPASSFILE`), says why it gave nothing: a mode with group/other access (node-postgres, like libpq, then ignores it), no line for host:port:database:user, or not a readable file.',
    causes: [
      'the password variable is not set where the app runs (another .env, a CI secret not passed)',
      '~/.pgpass is group/other-readable, so it is ignored',
      'no ~/.pgpass line matches host:port:database:user',
    ],
    fix: 'Add it to the URL, `DB_PASSWORD` / `PGPASSWORD`, or the password file; for an ignored file, `chmod 600` it, or add the missing line.',
    transient: false,
    matchers: [
      'fe_sendauth: no password supplied',
      'client password must be a string',
      'client password must be a non-empty string',
      'Password must be a string',
      {re: /password file "[^"]{0,300}" has group or world access/i, needle: 'has group or world access'},
    ],
    examples: [
      {source: 'node-postgres', text: 'Error: SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string\n    at Object.continueSession (node_modules/pg/lib/crypto/sasl.js:67:11)'},
      {source: 'libpq', text: 'psql: error: connection to server at "127.0.0.1", port 5432 failed: fe_sendauth: no password supplied'},
    ],
  }),
  define({
    code: 'AUTH_SSL_REQUIRED',
    check: 'auth',
    status: 'fail',
    title: 'The server only admits TLS connections',
    meaning:
      'The server only admits TLS connections and this one is plaintext: no pg_hba.conf line for plaintext ("no encryption" / "SSL off"), a `hostnossl … reject` line ("pg_hba.conf rejects connection … no encryption"; db-doctor confirms over TLS, without a password, that the line only hits plaintext), or a service\'s own refusal (Azure, Neon).',
    causes: [
      'the app connects without TLS (no sslmode, `ssl: false`, `sslmode=disable`) to a server with `hostssl` lines only or a `hostnossl … reject` line',
      'AWS RDS with `rds.force_ssl=1` (the default from PostgreSQL 15), Azure, Neon or Supabase requiring TLS',
    ],
    fix: 'Turn TLS on where the ssl setting came from: `sslmode=verify-full`, plus `sslrootcert` when the tls check found the chain needs a CA. Never weaken the server\'s pg_hba.conf.',
    transient: false,
    matchers: [
      {re: /no pg_hba\.conf entry for host "[^"]{0,300}", user "[^"]{0,300}", database "[^"]{0,300}", (?:no encryption|SSL off)/i, needle: 'no pg_hba.conf entry'},
      {re: /pg_hba\.conf rejects connection for host "[^"]{0,300}", user "[^"]{0,300}", database "[^"]{0,300}", (?:no encryption|SSL off)/i, needle: 'pg_hba.conf rejects connection'},
      'SSL connection is required',
      'connection is insecure (try using `sslmode=require`)',
      'SSL required',
    ],
    examples: [
      {source: 'node-postgres', text: 'error: no pg_hba.conf entry for host "10.0.1.5", user "app", database "appdb", no encryption'},
      {source: 'aws-rds', text: 'psql: error: connection to server at "mydb.c9akciq32.us-east-1.rds.amazonaws.com" (10.0.1.12), port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.3.7", user "app", database "appdb", SSL off'},
      {source: 'postgres', text: 'FATAL:  pg_hba.conf rejects connection for host "10.0.0.9", user "app", database "appdb", no encryption'},
      {source: 'azure', text: 'FATAL:  SSL connection is required. Please specify SSL options and retry.'},
      {source: 'neon', text: 'ERROR: connection is insecure (try using `sslmode=require`)'},
    ],
  }),
  define({
    code: 'AUTH_HBA_REJECTED',
    check: 'auth',
    status: 'fail',
    title: 'pg_hba.conf rejects the connection',
    meaning:
      'No pg_hba.conf line admits this host/user/database, or a `reject` line matches (over TLS; over plaintext too when the server offers no TLS or rejects the same login over TLS). The suggested line is `hostssl` whenever the server offers TLS; a reject line gets no suggested line (it is deliberate).',
    causes: [
      "no pg_hba.conf line for this client's address (a new subnet, a container network)",
      'the server requires a client certificate (Cloud SQL "trusted client certificate required", a `cert` pg_hba line)',
      'the user or database is not the one the lines name',
      'a `reject` line matches first',
    ],
    fix: 'Use the right user/database, or add the pg_hba.conf line the report shows and reload.',
    transient: false,
    matchers: [
      {re: /no pg_hba\.conf entry for (?:host|replication connection from host) "[^"]{0,300}", user "[^"]{0,300}"(?:, database "[^"]{0,300}")?, (?:SSL encryption|SSL on|GSS encryption)/i, needle: 'no pg_hba.conf entry'},
      {re: /pg_hba\.conf rejects connection for (?:host|replication connection from host) "[^"]{0,300}", user "[^"]{0,300}"(?:, database "[^"]{0,300}")?, (?:SSL encryption|SSL on|GSS encryption)/i, needle: 'pg_hba.conf rejects connection'},
      // Prisma's P1010 ("User `x` was denied access on the database `db.schema`") is every 28000 answer —
      // pg_hba no entry or reject, a NOLOGIN role, a missing role under trust — so it is an explain hint
      // (src/explain/hints.ts, prisma-access-denied) listing this code first, not a matcher here.
      'connection requires a valid client certificate',
    ],
    examples: [
      {source: 'postgres', text: 'FATAL:  no pg_hba.conf entry for host "172.18.0.4", user "app", database "appdb", SSL encryption'},
      {source: 'postgres', text: 'FATAL:  pg_hba.conf rejects connection for host "10.0.0.9", user "blocked", database "appdb", SSL encryption'},
      {source: 'google-cloud-sql', text: 'FATAL:  connection requires a valid client certificate'},
    ],
  }),
  define({
    code: 'AUTH_ROLE_NOT_FOUND',
    check: 'auth',
    status: 'fail',
    title: 'Role does not exist',
    meaning: 'The role does not exist.',
    causes: [
      'a typo in the user name',
      '`POSTGRES_USER` changed after the Docker volume was first created',
      'a pooler user format not used (Supabase/Supavisor `postgres.<ref>`, Azure Single Server `user@server`)',
    ],
    fix: 'Fix the user name, or `CREATE ROLE`; `POSTGRES_USER` only applies when a Docker volume is first created.',
    transient: false,
    matchers: [
      {re: /role "[^"]{0,300}" does not exist/i, needle: 'does not exist'},
      'Tenant or user not found',
      'Invalid Username specified',
    ],
    examples: [
      {source: 'postgres', text: 'FATAL:  role "postgress" does not exist'},
      {source: 'supavisor', text: 'error: Tenant or user not found'},
      {source: 'azure', text: 'FATAL:  Invalid Username specified. Please check the Username and retry connection. The Username should be in <username@hostname> format.'},
    ],
  }),
  define({
    code: 'AUTH_ROLE_NOLOGIN',
    check: 'auth',
    status: 'fail',
    title: 'Role may not log in',
    meaning: 'The role exists but may not log in.',
    causes: ['a group role (NOLOGIN) used as the user', 'a role created with CREATE ROLE instead of CREATE USER'],
    fix: 'Use a login role, or `ALTER ROLE … LOGIN`.',
    transient: false,
    matchers: [{re: /role "[^"]{0,300}" is not permitted to log in/i, needle: 'is not permitted to log in'}],
    examples: [{source: 'postgres', text: 'FATAL:  role "readers" is not permitted to log in'}],
  }),
  define({
    code: 'AUTH_DATABASE_NOT_FOUND',
    check: 'auth',
    status: 'fail',
    title: 'Database does not exist',
    meaning: 'The database does not exist (3D000).',
    causes: [
      'a typo in the database name (or the user name used as the default database)',
      '`POSTGRES_DB` changed after the Docker volume was first created',
      'the database was never created (migrations do not create it)',
    ],
    fix: 'Fix the name, or `CREATE DATABASE`; same `POSTGRES_DB` caveat.',
    transient: false,
    matchers: [
      {re: /database "[^"]{0,300}" does not exist/i, needle: 'does not exist'},
      '3D000',
      {re: /Database `[^`]{0,300}` does not exist/i, needle: 'does not exist'},
      'P1003',
      {re: /no such database: \S{1,100}/i, needle: 'no such database'},
    ],
    examples: [
      {source: 'node-postgres', text: "error: database \"appdb\" does not exist { code: '3D000' }"},
      // Prisma P1003 (3D000 → DatabaseDoesNotExist::Postgres), prisma-engines libs/user-facing-errors/src/common.rs
      {source: 'prisma', text: 'Error: P1003: Database `appdb` does not exist on the database server at `localhost:5432`.'},
      {source: 'pgbouncer', text: 'ERROR:  no such database: appdb'},
    ],
  }),
  define({
    code: 'AUTH_TOO_MANY_CONNECTIONS',
    check: 'auth',
    status: 'fail',
    title: 'Connection limit reached',
    meaning: 'A role, database or server connection limit is reached (53300).',
    causes: [
      'pools too large for max_connections (pool size × instances × pods)',
      'leaked or idle sessions',
      "a role's or database's CONNECTION LIMIT",
      "a pooler's client limit (PgBouncer max_client_conn, Supavisor pool_size)",
    ],
    fix: 'Smaller pools, close idle sessions, raise the limit.',
    transient: true,
    matchers: [
      'sorry, too many clients already',
      {re: /too many connections for (?:role|database) "[^"]{0,300}"/i, needle: 'too many connections for'},
      'remaining connection slots are reserved',
      '53300',
      'no more connections allowed',
      'Max client connections reached',
      'max clients reached',
      'Too many database connections opened',
      'P2037',
    ],
    examples: [
      {source: 'postgres', text: 'FATAL:  sorry, too many clients already'},
      {source: 'postgres', text: 'FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute'},
      {source: 'pgbouncer', text: 'ERROR:  no more connections allowed (max_client_conn)'},
      // Prisma P2037 (53300 → TooManyConnections; the server error shown as "<severity>: <message>", quaint
      // connector/postgres/error.rs); the same wording with MySQL's text is in prisma/prisma's client tests.
      {source: 'prisma', text: 'Invalid `prisma.user.findMany()` invocation:\n\n\nToo many database connections opened: FATAL: sorry, too many clients already'},
      {source: 'supavisor', text: 'FATAL:  Max client connections reached'},
      {source: 'supavisor', text: '(EMAXCONNSESSION) max clients reached in session mode - max clients are limited to pool_size: 15'},
    ],
  }),
  define({
    code: 'AUTH_SERVER_STARTING',
    check: 'auth',
    status: 'fail',
    title: 'Server starting, stopping or in recovery',
    meaning: 'The server is starting, shutting down, in recovery, or a standby without hot standby (57P03).',
    causes: [
      'the server (or its container) is still starting: the app started first',
      'a restart, failover or maintenance in progress',
      'a standby without hot_standby',
    ],
    fix: 'Wait and retry; in compose, gate on a `pg_isready` healthcheck.',
    transient: true,
    matchers: [
      'the database system is starting up',
      'the database system is shutting down',
      'the database system is in recovery mode',
      'the database system is not yet accepting connections',
      'the database system is not accepting connections',
      '57P03',
    ],
    examples: [
      {source: 'postgres', text: 'FATAL:  the database system is starting up'},
      {source: 'node-postgres', text: "error: the database system is not yet accepting connections { code: '57P03' }"},
    ],
  }),
  define({
    code: 'AUTH_CONNECTION_FAILED',
    check: 'auth',
    status: 'fail',
    title: 'Connection failed below authentication',
    meaning:
      'The connection failed below authentication; the raw code and message are shown (redacted) — the dns, tcp and tls checks explain most of these.',
    causes: ['a network or TLS problem that appeared between the checks', 'settings node-postgres refuses before connecting'],
    fix: 'See those checks, or raise `--timeout`.',
    transient: true,
    matchers: ['server login has been failing, try again later'],
    examples: [{source: 'pgbouncer', text: 'ERROR:  server login has been failing, try again later (server_login_retry)'}],
  }),
]
