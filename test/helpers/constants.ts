// Fixtures of the shared test PostgreSQL (see test/setup/global.ts and test/helpers/postgres.ts).
// Tests assert that CANARY_PASSWORD never appears in any output.

/** Password of roles app, limited and blocked. Needs no URL-encoding on purpose. */
export const CANARY_PASSWORD = 'canary-Pw-7f3a9c1e'
/** A second canary full of characters that must be percent-encoded in a URL (for encoding tests). */
export const CANARY_SPECIAL = 'c@n#ry/p?ss'
/**
 * A third canary with characters the URL standard wants encoded but node-postgres and psql read
 * as written (space, "^", "[", "]"): a working URL that strict parsers reject.
 */
export const CANARY_LENIENT = 'canary^Len [i]ent'

/** Role with password CANARY_PASSWORD (SCRAM), owner of APP_DATABASE and ONLYAPP_DATABASE. */
export const APP_USER = 'app'
export const APP_DATABASE = 'appdb'
/** Role with password CANARY_SPECIAL (SCRAM), may connect to appdb. */
export const SPECIAL_USER = 'special'
/** Role with password CANARY_LENIENT (SCRAM), may connect to appdb. */
export const LENIENT_USER = 'lenient'
/** Role with CONNECTION LIMIT 0: a correct password still gets 53300. */
export const LIMITED_USER = 'limited'
/** Role with NOLOGIN (password CANARY_PASSWORD): `role "cannot_login" is not permitted to log in`. */
export const NOLOGIN_USER = 'cannot_login'
/** Role (password CANARY_PASSWORD) admitted by a `password` (cleartext over TLS) pg_hba line: users named clear_*. */
export const CLEARTEXT_USER = 'clear_app'
/** Role whose password is stored as MD5 (CANARY_PASSWORD), admitted by an `md5` pg_hba line: users named md5_*. */
export const MD5_USER = 'md5_app'
/** Role refused by an explicit `hostssl all blocked 0.0.0.0/0 reject` (and ::/0) line. */
export const BLOCKED_USER = 'blocked'
/** Database that only `app` may reach: any other role gets `no pg_hba.conf entry for host …, database "onlyapp"`. */
export const ONLYAPP_DATABASE = 'onlyapp'
/**
 * A role that does not exist, matched by a `trust` pg_hba line (users named ghost_*), so the server
 * answers `role "ghost_nobody" does not exist` (28000) instead of failing SCRAM first.
 */
export const MISSING_USER = 'ghost_nobody'
/** A role that does not exist and goes through SCRAM: the server answers 28P01 like a wrong password. */
export const SCRAM_MISSING_USER = 'nobody_here'
/** A database that does not exist. */
export const MISSING_DATABASE = 'no_such_db'

/** Address of every test server (also ::1 when the machine has it; see PgInfo.hostV6). */
export const PG_HOST = '127.0.0.1'

/**
 * pg_hba.conf of every test server with TLS (`host` instead of `hostssl` when started with tls: false);
 * ADDR is 127.0.0.1/32 and ::1/128. Regular-expression fields need PostgreSQL >= 16.
 *   hostssl all      blocked      0.0.0.0/0, ::/0  reject
 *   hostssl all      "/^ghost_"   ADDR            trust
 *   hostssl all      "/^clear_"   ADDR            password
 *   hostssl all      "/^md5_"     ADDR            md5
 *   hostssl onlyapp  app          ADDR            scram-sha-256
 *   hostssl "/^(?!onlyapp$)" all  ADDR            scram-sha-256
 * Plain (non-TLS) connections match nothing: `no pg_hba.conf entry …, no encryption`.
 */
