// Codes of the `postgres` check (the SSLRequest probe), and the check's words: the summaries and fixes
// of its outcomes, built from the params the check emits (src/checks/postgres.ts holds data only).
import type {Fix, Snippet} from '../core/types.js'
import {define, messages} from './types.js'

/** What the first bytes of a foreign answer identify (the probe's `recognized`). */
const WHAT: Record<string, string> = {
  http: 'an HTTP server',
  ssh: 'an SSH server',
  mysql: 'a MySQL/MariaDB server',
  redis: 'a Redis server',
  tls: 'a TLS-only service (HTTPS or a TLS terminator expecting a ClientHello)',
  smtp: 'a mail (SMTP) server',
  ftp: 'an FTP server',
}

/** Where a setting comes from, as the check found it ("port ← DATABASE_URL", "port (not set: default)"). */
interface Where {
  /** e.g. "host ← DATABASE_URL" */
  hostFrom: string
  portFrom: string
}

/** The note added when the app uses `sslnegotiation=direct` (its source given), else nothing. */
function directNote(direct: string | null): string {
  return direct
    ? ` The app uses sslnegotiation=direct (${direct}): it skips SSLRequest and starts TLS at once (PostgreSQL 17+); the tls check tests that handshake.`
    : ''
}

/** Pass and skip summaries of the postgres check. */
export const postgresSays = messages({
  /** the check's title in reports */
  title: () => 'PostgreSQL protocol',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () => 'whether what answers speaks PostgreSQL (SSLRequest, no credentials) and whether it offers TLS',
  noTcp: () => 'The tcp check did not run, so there is no reachable address to talk to.',
  noAddress: () => 'No address accepted a TCP connection (see the tcp check).',
  speaks: (p: {shown: string; answer: 'S' | 'N'; ms: number; direct: string | null}) =>
    `${p.shown} speaks the PostgreSQL protocol and ${p.answer === 'S' ? 'offers TLS' : 'does not offer TLS'} (answered '${p.answer}' to SSLRequest in ${p.ms} ms).${directNote(p.direct)}`,
  directTls: (p: {shown: string; direct: string}) =>
    `${p.shown} answers SSLRequest with TLS: it expects direct TLS, which matches sslnegotiation=direct (${p.direct}); the tls check does the handshake.`,
  /** Appended to `speaks` when the name's addresses were compared (PG_TWO_SERVERS when they differ). */
  oneServer: (p: {addresses: string[]; user: string; how: 'scram-salt' | 'server-version'}) =>
    ` ${p.addresses.join(' and ')} are the same server (${p.how === 'scram-salt' ? `same SCRAM salt for role "${p.user}"` : 'same server_version'}).`,
  directClosed: (p: {shown: string; direct: string}) =>
    `${p.shown} closed the connection on SSLRequest, as a direct-TLS-only endpoint does. The app uses sslnegotiation=direct (${p.direct}) and never sends SSLRequest: the tls check tests the handshake it really does.`,
})

export const PG_NOT_POSTGRES = define<
  Where & {shown: string; host: string; port: number; bytes: string; recognized: string | null; direct: string | null}
>({
  code: 'PG_NOT_POSTGRES',
  check: 'postgres',
  status: 'fail',
  title: 'Something else answers on the port',
  meaning:
    'Something else answers on the port (HTTP, SSH, MySQL, a TLS-only proxy); the first bytes are shown, escaped.',
  causes: [
    'the wrong port (an HTTP API, SSH, MySQL on the port)',
    'a TLS-only proxy or load balancer that expects TLS at once',
    'a port-forward or tunnel pointing at the wrong service',
  ],
  fix: 'Point host and port at PostgreSQL (5432; PgBouncer 6432).',
  transient: false,
  matchers: [
    {
      re: /received invalid response to SSL negotiation: .{1,3}/i,
      needle: 'received invalid response to ssl negotiation',
    },
    'expected authentication request from server, but received',
    'There is no SSL support',
    'Received unexpected response',
  ],
  examples: [
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 8080 failed: received invalid response to SSL negotiation: H',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 22 failed: expected authentication request from server, but received S',
    },
  ],
  summary: (p) =>
    `${p.shown} is ${p.recognized ? WHAT[p.recognized] : 'something that is not PostgreSQL'}, not PostgreSQL: it answered SSLRequest with "${p.bytes}".${directNote(p.direct)}`,
  buildFix: (p): Fix => {
    const steps = [
      `Point the connection at PostgreSQL's port: ${p.portFrom} (PostgreSQL listens on 5432 by default, PgBouncer on 6432).`,
      `Check the host too: ${p.hostFrom} — a load balancer or reverse proxy may forward this port to a different service.`,
    ]
    if (p.recognized === 'http' || p.recognized === 'tls')
      steps.push(
        'Web-style endpoints (HTTPS APIs, dashboards, serverless HTTP drivers) are not PostgreSQL: use the provider\'s "direct" or "pooled" Postgres connection string, not its HTTP URL.',
      )
    if (p.recognized === 'ssh')
      steps.push(
        `This is SSH: to reach a database through it, open a tunnel (ssh -L 5432:localhost:5432 user@${p.host}) and connect to localhost:5432.`,
      )
    if (p.recognized === 'mysql')
      steps.push('This is MySQL/MariaDB: the app is configured for the wrong database server.')
    if (p.recognized === 'redis') steps.push('This is Redis: DB_PORT/REDIS_PORT values are probably swapped.')
    return {
      summary: `Nothing at ${p.host}:${p.port} speaks PostgreSQL: fix the port (${p.portFrom}) or the host.`,
      steps,
      snippet: {language: 'bash', code: `pg_isready -h ${p.host} -p 5432`},
    }
  },
})

/** The human name of what the first bytes identify (evidence `looksLike`). */
export function looksLike(recognized: string | null): string | null {
  return recognized ? (WHAT[recognized] ?? null) : null
}

export const PG_SSLREQUEST_REJECTED = define<
  Where & {shown: string; message: string; sqlstate: string | null; protocol: number | null; direct: string | null}
>({
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
  summary: (p) =>
    `${p.shown} rejected SSLRequest with an error: "${p.message}"${p.sqlstate ? ` (${p.sqlstate})` : ''} — a very old PostgreSQL server or a pooler/proxy that does not understand TLS negotiation.${directNote(p.direct)}`,
  buildFix: (p) => ({
    summary: 'The server or proxy at this address does not accept the SSLRequest every modern client sends first.',
    steps: [
      p.protocol === 2
        ? 'The answer uses the pre-7.4 protocol: upgrade the server; node-postgres and libpq need protocol 3 (PostgreSQL 7.4+).'
        : 'If a pooler or proxy sits in front of PostgreSQL (PgBouncer, Odyssey, pgcat, a cloud proxy), upgrade it or enable its TLS support.',
      `Check that ${p.portFrom} points at PostgreSQL itself and not at an admin or sidecar port.`,
      'As a last resort, disable TLS negotiation for this connection: node-postgres sends SSLRequest only when ssl is enabled (sslmode=disable), which exposes the traffic.',
    ],
  }),
})

export const PG_NO_RESPONSE = define<
  Where & {
    shown: string
    host: string
    port: number
    /** what the probe saw */
    kind: 'timeout' | 'closed' | 'connect-error'
    phase: 'connect' | 'answer' | null
    errno: string | null
    timeoutMs: number
    direct: string | null
  }
>({
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
    // libpq (fe-secure-openssl.c): the same hang-up once TLS is up
    'SSL connection has been closed unexpectedly',
    'Server has closed the connection',
    'P1017',
    'ECONNRESET',
    'socket hang up',
    // Prisma's P1002 ("was reached but timed out") is an explain hint (prisma-timeout-reached): its
    // Context line tells an advisory-lock wait (MIGRATION_LOCKED) from a server that does not answer.
  ],
  examples: [
    // pg/lib/client.js: the socket ended before the client asked it to
    {
      source: 'node-postgres',
      text: 'Error: Connection terminated unexpectedly\n    at Connection.<anonymous> (node_modules/pg/lib/client.js:136:73)',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "db.example.com" (10.0.0.5), port 5432 failed: SSL connection has been closed unexpectedly',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 15432 failed: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.',
    },
    // Prisma P1017 (ConnectionClosed), prisma-engines libs/user-facing-errors/src/common.rs
    {source: 'prisma', text: 'Error: P1017: Server has closed the connection.'},
    {
      source: 'node',
      text: 'Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)',
    },
  ],
  summary: (p) => {
    const what =
      p.kind === 'timeout'
        ? p.phase === 'connect'
          ? `did not accept a new connection within ${p.timeoutMs} ms`
          : `accepted the connection but sent nothing back to SSLRequest within ${p.timeoutMs} ms`
        : p.kind === 'closed'
          ? `closed the connection without answering SSLRequest${p.errno ? ` (${p.errno})` : ''}`
          : `refused a second connection (${p.errno})`
    return `${p.shown} ${what}: a half-dead proxy, a load balancer without healthy backends, a port-forward whose target is down, or a server still starting.${directNote(p.direct)}`
  },
  buildFix: (p) => ({
    summary: `Something accepts TCP on ${p.host}:${p.port} but PostgreSQL does not answer behind it: check the proxy / load balancer / port-forward and the server behind it.`,
    steps: [
      'Load balancer or cloud proxy: check that it has healthy PostgreSQL targets (target group health, backend status).',
      'kubectl/SSH port-forward or Docker port: check that the pod/container behind it is running and listening; restart the forward.',
      p.kind === 'closed'
        ? 'A proxy that closes immediately often rejects this client by IP (allow-list) or has no backend: check its logs. A port that expects TLS at once (a TLS terminator, or PostgreSQL 17+ with direct TLS only) also closes: then set sslnegotiation=direct (libpq 17+, node-postgres with sslnegotiation support).'
        : 'If PostgreSQL itself is overloaded or still starting (recovery), wait and check its log.',
      `Check ${p.portFrom}: a port that accepts and stays silent is often the wrong service.`,
    ],
    snippet: {language: 'bash', code: `pg_isready -h ${p.host} -p ${p.port}`},
  }),
})

/** What told two servers apart (the check's comparison of src/probes/pg-identity.ts looks). */
export type ServerDifference = 'ssl' | 'scram-salt' | 'server-version' | 'auth' | 'error'

const DIFFERENCE_WORDS: Record<ServerDifference, (user: string) => string> = {
  ssl: () => 'one offers TLS and the other does not (ssl is one setting for a whole server)',
  'scram-salt': (user) =>
    `they hold different SCRAM secrets for role "${user}" (different salts: the same server gives the same one on every address)`,
  'server-version': () => 'they report different server versions',
  auth: (user) => `they ask role "${user}" for different kinds of authentication`,
  error: () => 'they refuse the same startup with different errors',
}

type PgTwoServersParams = Where & {
  host: string
  port: number
  user: string
  /** The address node-postgres (the app) connects to, and libpq's (psql). */
  appAddress: string | null
  libpqAddress: string | null
  /** The addresses answered by another server than the app's. */
  others: string[]
  /** True when a server-wide fact differs (TLS offer, SCRAM salt, version); else it is likely, not proven. */
  certain: boolean
  differences: ServerDifference[]
  /** host=<the other address>, written back where the host came from. */
  snippet: Snippet
}

export const PG_TWO_SERVERS = define<PgTwoServersParams>({
  code: 'PG_TWO_SERVERS',
  check: 'postgres',
  status: 'warn',
  title: 'Two different servers answer on the addresses of one name',
  meaning:
    'The host name resolves to several addresses (typically localhost → ::1 and 127.0.0.1) and a different PostgreSQL answers the port on each: a local server on one, a container or another install on the other. Which one a tool reaches depends on the address it tries first, so the same user and password work from one tool and fail from another with "password authentication failed" or "role … does not exist".',
  causes: [
    'a local PostgreSQL (Homebrew, Postgres.app, apt) on 127.0.0.1 and a Docker container published on the same port, which answers on ::1 (or the reverse)',
    'two local installs (two major versions) both on the default port, on different addresses',
    'an SSH tunnel or port-forward bound to one address family while a local server holds the other',
  ],
  fix: 'Connect by address (host=127.0.0.1 or host=::1) to the server you mean, or stop the other server or move it to another port.',
  transient: false,
  matchers: [
    // libpq names the address it used next to the name: a login refused on ::1 for "localhost"
    {
      re: /at "localhost" \((?:::1|127\.0\.0\.1)\), port \d{1,5} failed: FATAL: {1,2}(?:password authentication failed|role "[^"]{0,300}" does not exist)/,
      needle: 'at "localhost" (',
    },
    // Prisma P1000 against localhost
    {
      re: /Authentication failed against database server at `localhost(?::\d{1,5})?`/,
      needle: 'database server at `localhost',
    },
  ],
  examples: [
    // libpq fe-connect.c: "connection to server at \"%s\" (%s), port %s failed: " then the server's FATAL
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "localhost" (::1), port 5432 failed: FATAL:  password authentication failed for user "postgres"',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "localhost" (::1), port 5432 failed: FATAL:  role "postgres" does not exist',
    },
    // prisma-engines libs/user-facing-errors/src/common.rs, P1000 IncorrectDatabaseCredentials
    {
      source: 'prisma',
      text: 'Error: P1000: Authentication failed against database server at `localhost`, the provided database credentials for `postgres` are not valid.',
    },
  ],
  summary: (p) => {
    const why = p.differences.map((d) => DIFFERENCE_WORDS[d](p.user)).join('; ')
    const reach =
      p.appAddress === p.libpqAddress
        ? `node-postgres (the app) and psql both connect to ${p.appAddress ?? 'none of them'}`
        : `node-postgres (the app) connects to ${p.appAddress ?? 'none of them'}, psql to ${p.libpqAddress ?? 'none of them'}`
    return `"${p.host}" resolves to several addresses and port ${p.port} on ${p.others.join(', ')} is ${p.certain ? '' : 'very likely '}a different server from the one on ${p.appAddress ?? 'the first'}: ${why}. ${reach}; a tool that tries ${p.others.join(' or ')} first reaches the other server, where the same user and password are judged differently.`
  },
  buildFix: (p) => ({
    summary: `Name the server you mean by its address instead of "${p.host}" (${p.hostFrom}), or keep only one server on port ${p.port}.`,
    steps: [
      `The app reaches ${p.appAddress ?? 'no address'}; if the database you mean is the one on ${p.others.join(' or ')}, set host=${p.others[0] ?? p.host} (below). If it is the app's, use host=${p.appAddress ?? p.host} in the other tools (psql -h, the GUI, the container's env).`,
      `See who listens: \`sudo lsof -nP -iTCP:${p.port} -sTCP:LISTEN\` (or \`ss -ltnp 'sport = :${p.port}'\`): a local postgres and a docker-proxy / com.docker.backend line are the two servers.`,
      `Keep one on port ${p.port}: stop the local service (\`brew services stop postgresql@16\`, \`sudo systemctl stop postgresql\`), or publish the container on another port (\`-p 5433:5432\`, compose \`ports: ["5433:5432"]\`) and use that port.`,
      'Do not widen listen_addresses to make the two agree: it exposes a server to the network and the other server still answers.',
    ],
    snippet: p.snippet,
  }),
})

export const postgresEntries = [PG_NOT_POSTGRES, PG_SSLREQUEST_REJECTED, PG_NO_RESPONSE, PG_TWO_SERVERS]
