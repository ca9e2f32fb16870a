// Codes of the `config` check.
import {define} from './types.js'

export const configEntries = [
  define({
    code: 'CONFIG_URL_INVALID',
    check: 'config',
    status: 'fail',
    title: 'Connection string cannot be parsed',
    meaning:
      'The connection string (or a port variable) cannot be parsed, or names no host (`postgres://`, `postgres:///db`: node-postgres would silently use localhost:5432); the report names its source and where it breaks (unexpanded `${VAR}`, quotes inside the value, a `#` cut by dotenv, bad port…). The report header then shows no target rather than the defaults.',
    causes: [
      'a variable reference such as ${DB_HOST} that nothing expanded',
      'a URL assembled from variables that are empty where the app runs (`postgres://:@/`)',
      'quotes or spaces kept inside the value (docker --env-file, CI secrets)',
      'an unquoted `#` in .env: dotenv cuts the value there',
      'a port that is not a number, or a misspelt scheme',
    ],
    fix: 'Correct it where it is set, in the form `postgres://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full`; quote `.env` values containing `#`.',
    transient: false,
    matchers: [
      'Invalid URL',
      'ERR_INVALID_URL',
      'invalid URI query parameter',
      'invalid connection option',
      {re: /invalid integer value "[^"]{0,200}" for connection option "port"/i, needle: 'for connection option "port"'},
      {re: /invalid port number: "[^"]{0,200}"/i, needle: 'invalid port number'},
      {re: /missing "=" after "[^"]{0,200}" in connection info string/i, needle: 'in connection info string'},
      'P1013',
      'The provided database string is invalid',
      // Prisma's datasource validation (a P1012 line; an empty or non-postgres URL): prisma-engines psl,
      // PostgresDatamodelConnector validate_url ("must start with the protocol `postgresql://` or `postgres://`.")
      {re: /the URL must start with the protocol `[a-z]{1,20}:/i, needle: 'the url must start with the protocol'},
      'invalid connection string',
      'invalid database url',
    ],
    examples: [
      {source: 'node', text: "TypeError: Invalid URL\n    at new URL (node:internal/url:816:29) { code: 'ERR_INVALID_URL', input: 'postgres://app:${DB_PASSWORD}@db:5432/app' }"},
      {source: 'libpq', text: 'psql: error: invalid integer value "5432abc" for connection option "port"'},
      {source: 'prisma', text: 'error: Error validating datasource `db`: the URL must start with the protocol `postgresql://` or `postgres://`.'},
      {source: 'libpq', text: 'psql: error: invalid URI query parameter: "ssl"'},
      {source: 'libpq', text: 'psql: error: missing "=" after "postgres:" in connection info string'},
      // P1013 InvalidConnectionString (prisma-engines libs/user-facing-errors/src/common.rs), details from
      // quaint.rs invalid_url_description; printed as in https://github.com/linkwarden/linkwarden/issues/519
      {source: 'prisma', text: 'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation in https://www.prisma.io/docs/reference/database-reference/connection-urls for constructing a correct connection string. In some cases, certain characters must be escaped. Please check the string for any illegal characters.'},
    ],
  }),
  define({
    code: 'CONFIG_PASSWORD_NOT_ENCODED',
    check: 'config',
    status: 'fail',
    title: 'Password breaks the URL',
    meaning:
      'The user or password contains a character that changes what node-postgres (and knex\'s own parser) read: `#`, `/`, `?`, a tab or line break — or an escape such as `%2F` in a URL that also contains a space or a stray `%` (node-postgres then re-encodes the URL and reads `%2F` as three characters). The report shows the masked, correctly encoded URL — never the password. Later checks are skipped. (`@` and a stray `%` are read as written by node-postgres: CONFIG_PASSWORD_ENCODING_LENIENT.)',
    causes: [
      'a generated password with `#`, `/` or `?` pasted into the URL unencoded',
      'a URL mixing percent-escapes and a raw space or `%`',
    ],
    fix: "Encode it (`node -e 'console.log(encodeURIComponent(process.argv[1]))' 'PASSWORD'`) and quote the value in `.env`.",
    transient: false,
    // Prisma: a raw '/', '#' or '?' in the password ends the authority early and the rest is read as the
    // port ("invalid port number in database URL", https://github.com/PatchMon/PatchMon/issues/394): shown
    // next to CONFIG_URL_INVALID, which P1013 also names.
    matchers: ['URI malformed', 'URIError', 'invalid port number in database URL'],
    examples: [
      {source: 'node-postgres', text: 'URIError: URI malformed\n    at decodeURIComponent (<anonymous>)\n    at parse (node_modules/pg-connection-string/index.js:31:26)'},
      {source: 'prisma', text: 'Error: P1013: The provided database string is invalid. invalid port number in database URL. Please refer to the documentation in https://www.prisma.io/docs/reference/database-reference/connection-urls for constructing a correct connection string. In some cases, certain characters must be escaped. Please check the string for any illegal characters.'},
    ],
  }),
  define({
    code: 'CONFIG_PASSWORD_ENCODING_LENIENT',
    check: 'config',
    status: 'warn',
    title: 'Password should be percent-encoded',
    meaning:
      'The user or password contains characters the URL standard wants encoded that node-postgres and knex read as written, so the app connects: a space, `"`, `^`, `[`, `]`, `\\`, `{`, `}`, `|`, non-ASCII… (psql reads them too; strict URL parsers such as Go\'s `net/url` reject the URL), and `@` or a `%` not followed by two hex digits, which break psql, pg_dump and other libpq tools (libpq splits at the first `@`; rejects the stray `%`). The login still runs. `:` in the password is allowed and not reported.',
    causes: ['a generated password with URL-reserved characters, accepted by lenient parsers only', 'an `@` in the password: fine for the Node app, broken for psql'],
    fix: 'Percent-encode the user and password as above; node-postgres decodes them to the same values.',
    transient: false,
    matchers: [
      'net/url: invalid userinfo',
      {re: /parse "postgres(?:ql)?:\/\/[^"]{0,500}": net\/url: invalid/i, needle: 'net/url: invalid'},
      'invalid percent-encoded token',
    ],
    examples: [
      {source: 'golang-migrate', text: 'error: parse "postgres://app:****@db:5432/app": net/url: invalid userinfo'},
      {source: 'libpq', text: 'psql: error: invalid percent-encoded token: "pa%zz"'},
    ],
  }),
  define({
    code: 'CONFIG_SSLMODE_INVALID',
    check: 'config',
    status: 'fail',
    title: 'sslmode is not a valid mode',
    meaning:
      '`sslmode` is not one of `disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`, `no-verify`; or a URL says `ssl=<text>` other than `true`, `1`, `0`, `no-verify` (e.g. `ssl=false`): node-postgres keeps the text, which counts as true, asks for SSL and then throws "Cannot use \'in\' operator to search for \'key\' in false" from a socket event (the app crashes).',
    causes: ['a typo (`requre`, `verify_full`)', 'a value from another driver (`true`, `on`, `required`)', '`ssl=false` / `ssl=require` in a URL (JDBC habits)'],
    fix: 'Use a valid mode (the report suggests the likely one) in the variable or file named; for `ssl=false` write `sslmode=disable` (or `ssl=0`).',
    transient: false,
    matchers: [
      {re: /invalid sslmode value: "[^"]{0,100}"/i, needle: 'invalid sslmode value'},
      {re: /invalid value for (?:parameter )?"?sslmode"?/i, needle: 'for parameter'},
      {re: /Cannot use 'in' operator to search for 'key' in [^\s]{1,100}/, needle: "search for 'key' in"},
    ],
    examples: [
      {source: 'libpq', text: 'psql: error: invalid sslmode value: "requre"'},
      {source: 'node-postgres', text: "TypeError: Cannot use 'in' operator to search for 'key' in false\n    at TLSSocket.<anonymous> (node_modules/pg/lib/connection.js:110:17)"},
    ],
  }),
  define({
    code: 'CONFIG_APP_FILE_ERROR',
    check: 'config',
    status: 'fail',
    title: "The app's configuration file fails",
    meaning:
      'The knexfile threw while loading (message shown, redacted), lacks the environment, or `--knexfile` does not exist; or the Prisma schema reads its `url` / `directUrl` from `env("X")` and X is not set (Prisma stops with "Environment variable not found"; db-doctor does not fall back to another variable).',
    causes: [
      'a variable the file reads is not set where the tool runs (the knex CLI and Prisma 7 do not read `.env`)',
      'the environment (NODE_ENV / --env) has no section in the knexfile',
      'the file throws (syntax error, missing module)',
    ],
    fix: 'Fix the file, set the variables it reads, or choose the environment with `--knex-env` / `NODE_ENV`.',
    transient: false,
    matchers: [
      {re: /Environment variable not found: [A-Z_][A-Z0-9_]{0,100}/i, needle: 'environment variable not found'},
      'P1012',
      'Failed to load datasource config',
      {re: /knex: required configuration option 'client' is missing/i, needle: "'client' is missing"},
      'No configuration for environment',
      'Failed to resolve environment',
    ],
    examples: [
      // Prisma 5 schema validation (P1012), as printed in https://github.com/mickasmt/next-saas-stripe-starter/issues/68
      {source: 'prisma', text: 'Error: Prisma schema validation - (get-config wasm)\nError code: P1012\nerror: Environment variable not found: DATABASE_URL.\n  -->  prisma/schema.prisma:10\n   | \n 9 |   provider     = "postgresql"\n10 |   url          = env("DATABASE_URL")\n   | \n\nValidation Error Count: 1\n[Context: getConfig]'},
      {source: 'knex', text: "Error: knex: Required configuration option 'client' is missing."},
    ],
  }),
  define({
    code: 'CONFIG_ENV_FILE_NOT_LOADED',
    check: 'config',
    status: 'fail',
    title: 'The migration tool never loads the .env file',
    meaning:
      "A setting the connection needs comes only from the env file db-doctor read (`.env`), and the migration tool, launched the way package.json runs it, never loads that file: the knex CLI never reads `.env`; node-pg-migrate reads it only when dotenv is installed; Prisma 6 skips it when a `prisma.config.ts` exists and Prisma 7 never reads it; and the script has no loader (`node --env-file`, `-r dotenv/config`, dotenv-cli, env-cmd) or loads another file. The evidence names the variables, the file, the script, and what was modelled (tool, version, loader); the fix is the script line with a loader. Later checks are skipped: the tool would not connect with these settings.",
    causes: [
      'a `knex migrate:latest` script with DATABASE_URL / DB_PASSWORD only in `.env`',
      'node-pg-migrate without dotenv installed in the app',
      'Prisma 7, or Prisma 6 with a prisma.config.ts that does not import dotenv/config',
      'a script that loads `.env.production` while the settings are in `.env`',
    ],
    fix: 'Load the file for the tool: `"migrate": "node --env-file=.env node_modules/.bin/knex migrate:latest"` (or dotenv in the knexfile / prisma.config.ts, dotenv-cli, env-cmd, or dotenv installed for node-pg-migrate).',
    transient: false,
    matchers: [
      // pg/lib/crypto/sasl.js: a password variable that is not set reaches node-postgres as undefined
      'client password must be a string',
      // node-pg-migrate 9 bin/node-pg-migrate.js (the variable named by --database-url-var, DATABASE_URL by default)
      'environment variable is not set or incomplete connection parameters',
    ],
    examples: [
      {source: 'knex', text: 'Error: SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'},
      {source: 'node-pg-migrate', text: 'The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.'},
    ],
  }),
  define({
    code: 'CONFIG_ENV_FILE_LOADER_UNKNOWN',
    check: 'config',
    status: 'warn',
    title: 'Nothing shows that the migration tool loads .env',
    meaning:
      'A setting the connection needs comes only from the env file db-doctor read, the migration tool does not load that file by itself (knex CLI, node-pg-migrate without dotenv, Prisma 7 or Prisma 6 with prisma.config.ts), and no package.json script shows how the tool is run. Run as `npx knex migrate:latest`, it would not see those settings; a CI job or shell that exports them would.',
    causes: ['migrations run by hand (`npx knex migrate:latest`) or from a CI step db-doctor cannot see'],
    fix: 'Run the tool through a script that loads the file (`node --env-file=.env node_modules/.bin/knex migrate:latest`), or make sure whatever runs it exports the variables.',
    transient: false,
    matchers: [],
    examples: [{source: 'db-doctor', text: '! Configuration CONFIG_ENV_FILE_LOADER_UNKNOWN (3 ms)'}],
  }),
  define({
    code: 'CONFIG_NOT_FOUND',
    check: 'config',
    status: 'warn',
    title: 'Nothing configured a connection',
    meaning: 'Nothing configured a connection: the defaults (localhost:5432, OS user) are being tested.',
    causes: ['the variables are set in another shell, CI step or container', 'the .env file is in another folder'],
    fix: 'Pass a URL, set `DATABASE_URL` in `.env`, use `DB_*` or `PG*` variables, or `--env-file`.',
    transient: false,
    matchers: ['environment variable is not set or incomplete connection parameters are provided', 'No configuration file found and no commandline connection parameters passed'],
    examples: [
      {source: 'knex', text: 'Error: No configuration file found and no commandline connection parameters passed\n    at checkConfigurationOptions (node_modules/knex/bin/utils/cli-config-utils.js:109:11)'},
      {source: 'node-pg-migrate', text: 'The DATABASE_URL environment variable is not set or incomplete connection parameters are provided.'},
      {source: 'db-doctor', text: '! Configuration CONFIG_NOT_FOUND (2 ms)'},
    ],
  }),
]
