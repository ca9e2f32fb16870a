// Codes of the `postgres` check (the SSLRequest probe).
import {define} from './types.js'

export const postgresEntries = [
  define({
    code: 'PG_NOT_POSTGRES',
    check: 'postgres',
    status: 'fail',
    title: 'Something else answers on the port',
    meaning: 'Something else answers on the port (HTTP, SSH, MySQL, a TLS-only proxy); the first bytes are shown, escaped.',
    causes: [
      'the wrong port (an HTTP API, SSH, MySQL on the port)',
      'a TLS-only proxy or load balancer that expects TLS at once',
      'a port-forward or tunnel pointing at the wrong service',
    ],
    fix: 'Point host and port at PostgreSQL (5432; PgBouncer 6432).',
    transient: false,
    matchers: [
      {re: /received invalid response to SSL negotiation: .{1,3}/i, needle: 'received invalid response to ssl negotiation'},
      'expected authentication request from server, but received',
      'There is no SSL support',
      'Received unexpected response',
    ],
    examples: [
      {source: 'libpq', text: 'psql: error: connection to server at "127.0.0.1", port 8080 failed: received invalid response to SSL negotiation: H'},
      {source: 'libpq', text: 'psql: error: connection to server at "127.0.0.1", port 22 failed: expected authentication request from server, but received S'},
    ],
  }),
  define({
    code: 'PG_SSLREQUEST_REJECTED',
    check: 'postgres',
    status: 'fail',
    title: 'SSLRequest answered with an error',
    meaning:
      'The server or a pooler answered the SSLRequest with an error (a very old server, a pooler without TLS); its message is shown.',
    causes: ['a pooler or proxy without TLS support', 'a very old server (before 7.1)'],
    fix: 'Upgrade it or enable TLS in the pooler.',
    transient: false,
    matchers: ['unsupported frontend protocol', 'bad packet header'],
    examples: [{source: 'postgres', text: 'FATAL:  unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0'}],
  }),
  define({
    code: 'PG_NO_RESPONSE',
    check: 'postgres',
    status: 'fail',
    title: 'Connected, but nothing answers',
    meaning:
      'TCP is accepted but nothing answers within `--timeout`, or the connection is closed: a half-dead proxy, a load balancer without backends, a dead port-forward.',
    causes: [
      'a load balancer or proxy with no healthy backend',
      'a dead `kubectl port-forward` or SSH tunnel (the local end still accepts)',
      'a port that expects TLS at once (`sslnegotiation=direct`)',
      'a server overloaded or stopping',
    ],
    fix: 'Fix the proxy / backends; if the port expects TLS at once, set `sslnegotiation=direct`.',
    transient: true,
    matchers: [
      'Connection terminated unexpectedly',
      'server closed the connection unexpectedly',
      'Server has closed the connection',
      'P1017',
      'ECONNRESET',
      'socket hang up',
      'P1002',
      'was reached but timed out',
    ],
    examples: [
      {source: 'node-postgres', text: 'Error: Connection terminated unexpectedly\n    at Connection.<anonymous> (node_modules/pg/lib/client.js:136:73)'},
      {source: 'libpq', text: 'psql: error: connection to server at "127.0.0.1", port 15432 failed: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.'},
      {source: 'prisma', text: 'Error: P1017: Server has closed the connection.'},
      {source: 'prisma', text: 'Error: P1002: The database server at `db.example.com`:`5432` was reached but timed out.'},
      {source: 'node', text: 'Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)'},
    ],
  }),
]
