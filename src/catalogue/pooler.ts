// Codes of the `pooler` check (the connection pooler between the app and PostgreSQL).
import {define} from './types.js'

export const poolerEntries = [
  define({
    code: 'POOLER_STARTUP_PARAMETER',
    check: 'pooler',
    status: 'fail',
    title: 'The pooler refuses a startup parameter the app sends',
    meaning:
      'A pooler in front of PostgreSQL (PgBouncer refuses the startup parameters it does not track — `options` in older versions such as 1.18 — unless `ignore_startup_parameters` lists them) answers the login with "unsupported startup parameter: <name>" (08P01): every connection of the app fails before authentication. The evidence names the parameter and where the app\'s settings send it from (URL `options=`, PGOPTIONS, a knexfile `connection.statement_timeout`…).',
    causes: [
      '`?options=-c search_path=…` in the URL, or PGOPTIONS in the environment, reused through the pooler',
      'a driver setting node-postgres sends as a startup parameter (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`)',
      'a client that sends `search_path` or `extra_float_digits` at startup',
    ],
    fix: 'Remove the parameter from the app\'s settings (set what it carried on the role instead), add it to `ignore_startup_parameters` in pgbouncer.ini, or connect the migration to the database directly.',
    transient: false,
    matchers: ['unsupported startup parameter'],
    examples: [
      {source: 'pgbouncer', text: 'ERROR:  unsupported startup parameter: options'},
      {source: 'node-postgres', text: 'error: unsupported startup parameter: search_path'},
    ],
  }),
]
