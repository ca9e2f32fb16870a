// Codes of the `server` check (server state that decides whether a migration can run).
import {define} from './types.js'

export const serverEntries = [
  define({
    code: 'SERVER_READ_ONLY',
    check: 'server',
    status: 'fail',
    statusText: 'fail (warn without a migration tool)',
    title: 'The server or session is read-only',
    meaning:
      'The session the app gets cannot write: the server is a standby in recovery (`pg_is_in_recovery()`: a replica, an Aurora `cluster-ro-` reader endpoint), or `default_transaction_read_only = on` is set for the role, the database, the role in the database, the server or by the app\'s own startup options. Read as the app\'s session has it, outside db-doctor\'s own read-only transaction; the evidence says where it is set.',
    causes: [
      'a replica or reader endpoint in the URL instead of the primary (writer) endpoint',
      '`ALTER ROLE … SET default_transaction_read_only = on` (a read-only role reused for migrations)',
      '`ALTER DATABASE … SET default_transaction_read_only = on` (a database frozen for maintenance or a migration cut-over)',
      'a failover in progress: the old primary came back as a standby',
    ],
    fix: 'Point the migration at the writer endpoint, or remove the read-only default where it is set (the report gives the `ALTER … RESET`).',
    transient: false,
    matchers: [
      'cannot execute CREATE TABLE in a read-only transaction',
      {re: /cannot execute [A-Z ]+ in a read-only transaction/i, needle: 'in a read-only transaction'},
      'recovery is in progress',
      'cannot execute nextval() in a read-only transaction',
    ],
    examples: [
      {source: 'postgres', text: 'ERROR:  cannot execute CREATE TABLE in a read-only transaction'},
      {source: 'knex', text: 'migration file "20240101_init.js" failed: create table "users" (...) - cannot execute CREATE TABLE in a read-only transaction'},
      {source: 'postgres', text: 'ERROR:  cannot execute INSERT in a read-only transaction'},
    ],
  }),
  define({
    code: 'SERVER_STATEMENT_TIMEOUT',
    check: 'server',
    status: 'warn',
    title: 'A timeout low enough to cancel migrations',
    meaning:
      '`statement_timeout` (≤ 60 s) or `lock_timeout` (≤ 2 s) is set for this session: an index build, a table rewrite or a lock wait behind live traffic is cancelled ("canceling statement due to statement timeout", 57014; "canceling statement due to lock timeout", 55P03). The evidence gives the value and where it is set (role, database, role in database, server, or the app\'s startup options).',
    causes: [
      '`ALTER ROLE app SET statement_timeout = …` meant for the app, inherited by migrations that log in as the same role',
      'a database-wide or server-wide `statement_timeout`',
      '`options=-c statement_timeout=…` in the URL the migration reuses',
    ],
    fix: 'Lift it for the migration only (`PGOPTIONS=\'-c statement_timeout=0\'` or `options=` in the migration\'s URL), or remove it where it is set.',
    transient: false,
    matchers: ['canceling statement due to statement timeout', 'canceling statement due to lock timeout'],
    examples: [
      {source: 'postgres', text: 'ERROR:  canceling statement due to statement timeout'},
      {source: 'node-postgres', text: 'error: canceling statement due to lock timeout'},
    ],
  }),
  define({
    code: 'SERVER_CONNECTIONS_EXHAUSTED',
    check: 'server',
    status: 'warn',
    statusText: 'warn (fail at zero)',
    title: 'Almost no connection slots left',
    meaning:
      'Free slots once db-doctor disconnects: `max_connections` minus reserved slots and current sessions, and the role\'s and the database\'s `CONNECTION LIMIT`. Two or fewer: the migration tool\'s pool (knex opens up to its pool size, Prisma several) will hit "too many connections" (53300).',
    causes: [
      'app pools holding every slot (many replicas × pool size)',
      'a role or database CONNECTION LIMIT sized for the app only',
      'idle sessions left by crashed jobs',
    ],
    fix: 'Free connections (shrink pools, end idle sessions) or raise the limit the evidence names.',
    transient: true,
    // No pasted wording: a refused login ("sorry, too many clients already", Prisma P2037) is
    // AUTH_TOO_MANY_CONNECTIONS; this code is db-doctor's own early warning before the limit is hit.
    matchers: [],
    examples: [{source: 'db-doctor', text: '! Server state SERVER_CONNECTIONS_EXHAUSTED (4 ms)'}],
  }),
]
