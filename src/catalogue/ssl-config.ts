// Codes of the `ssl-config` check (node-postgres vs libpq SSL settings).
import {define} from './types.js'

export const sslConfigEntries = [
  define({
    code: 'SSL_CONFIG_CONFLICT',
    check: 'ssl-config',
    status: 'fail',
    statusText: 'fail / warn',
    title: "The URL's ssl params replace the ssl object",
    meaning:
      "The connection string has ssl params (`sslmode`, `sslrootcert`, `ssl`…) and the app also passes an `ssl` object (knexfile `connection.ssl`): node-postgres lets the URL replace the whole object. Fail when that changes the outcome (the lost object disabled verification or supplied a CA, and the chain does not verify the URL's way), warn when it is dead config.",
    causes: ['`?sslmode=require` in DATABASE_URL next to `ssl: { ca }` or `ssl: { rejectUnauthorized: false }` in the knexfile'],
    fix: "Configure SSL in one place and keep verification on: the CA in the URL (`sslmode=verify-full&sslrootcert=./ca.pem`) and no object, or no ssl params in the URL and `ssl: { ca: fs.readFileSync('ca.pem') }`.",
    transient: false,
    matchers: [],
    examples: [{source: 'db-doctor', text: '✗ SSL settings (node-postgres vs libpq) SSL_CONFIG_CONFLICT (1 ms)'}],
  }),
  define({
    code: 'SSL_UNIX_SOCKET',
    check: 'ssl-config',
    status: 'fail',
    title: 'SSL asked for over a Unix socket',
    meaning:
      'The host is a Unix socket directory (`host=/var/run/postgresql`, a Cloud SQL proxy socket) and the settings ask for SSL: PostgreSQL never offers SSL on a socket, psql ignores `sslmode` there and connects, node-postgres asks anyway and fails with "The server does not support SSL connections".',
    causes: ['sslmode=require or `ssl: true` kept when switching to a socket (Cloud SQL Auth Proxy `/cloudsql/…`)'],
    fix: 'Turn SSL off for the socket connection (no `sslmode`, `ssl: false`), or connect over TCP to keep TLS.',
    transient: false,
    matchers: [{re: /host=\/[^\s]{0,300}[^\n]{0,300}sslmode=(?:require|verify-ca|verify-full)/i, needle: 'host=/'}],
    examples: [
      {source: 'config', text: 'DATABASE_URL=postgres://app@/appdb?host=/cloudsql/proj:europe-west1:db&sslmode=require'},
    ],
  }),
  define({
    code: 'SSLMODE_VERIFY_SEMANTICS',
    check: 'ssl-config',
    status: 'warn',
    title: 'sslmode means verify-full in node-postgres',
    meaning:
      '`sslmode=prefer`, `require` or `verify-ca` (or URL `ssl=true`) means verify-full in node-postgres 8, while libpq only encrypts (or skips the host name): "psql connects; your Node app will not". Also `uselibpqcompat=true&sslmode=no-verify`: no-verify is not a libpq mode, so node-postgres silently verifies fully.',
    causes: ['a URL written for libpq/psql (sslmode=require) used by a Node app', 'ssl=true copied from a JDBC URL', 'no-verify combined with uselibpqcompat=true'],
    fix: "Write `sslmode=verify-full` (plus `sslrootcert` for a private CA), or `uselibpqcompat=true` for libpq's meaning.",
    transient: false,
    matchers: [
      "are treated as aliases for 'verify-full'",
      'Using sslmode=verify-ca requires specifying a CA',
      // a pasted URL: the mode psql reads as "encrypt only" and node-postgres as verify-full
      {re: /postgres(?:ql)?:\/\/[^\s'"]{0,500}[?&]sslmode=(?:prefer|require|verify-ca)(?![\w-])/i, needle: 'sslmode='},
    ],
    examples: [
      {source: 'config', text: 'DATABASE_URL=postgres://app:****@db.example.com:5432/app?sslmode=require'},
      {source: 'node-postgres', text: "(node:4242) Warning: SECURITY WARNING: The SSL modes 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'."},
    ],
  }),
  define({
    code: 'SSL_VERIFICATION_DISABLED',
    check: 'ssl-config',
    status: 'warn',
    title: 'Certificate verification disabled',
    meaning:
      '`sslmode=no-verify`, `rejectUnauthorized: false` or `NODE_TLS_REJECT_UNAUTHORIZED=0`: encrypted but unauthenticated — anyone on the path can impersonate the server and read the password.',
    causes: ['a workaround for a self-signed or private-CA chain that was never replaced by the CA'],
    fix: "Trust the server's CA (`sslrootcert` / `ssl.ca`) and remove the setting.",
    transient: false,
    matchers: ["Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0'", 'sslmode=no-verify', 'rejectUnauthorized: false'],
    examples: [
      {source: 'node', text: "(node:4242) Warning: Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes TLS connections and HTTPS requests insecure by disabling certificate verification."},
    ],
  }),
  define({
    code: 'SSL_CERT_FILE_UNREADABLE',
    check: 'ssl-config',
    status: 'fail',
    title: 'Certificate or key file unreadable',
    meaning:
      'An `sslrootcert`, `sslcert` or `sslkey` path (URL, `PGSSLROOTCERT`…, Prisma `sslcert`) is missing or unreadable; node-postgres throws before connecting.',
    causes: [
      'a relative path resolved from another working folder',
      'the file exists on a laptop but not in the container or CI job',
      'a path with a space left percent-escaped in the URL',
    ],
    fix: 'Point the setting, at the source named, to a readable PEM file.',
    transient: false,
    matchers: [
      {re: /ENOENT: no such file or directory, open '[^'\n]{0,300}\.(?:pem|crt|cer|key)'/i, needle: 'enoent: no such file or directory'},
      {re: /(?:root )?certificate file "[^"]{0,300}" does not exist/i, needle: 'does not exist'},
      {re: /could not (?:open|read) (?:root )?certificate file/i, needle: 'certificate file'},
      {re: /could not (?:open|load) private key file/i, needle: 'private key file'},
    ],
    examples: [
      {source: 'node-postgres', text: "Error: ENOENT: no such file or directory, open './certs/ca.pem'\n    at Object.openSync (node:fs:573:18)\n    at Object.readFileSync (node:fs:452:35)\n    at parse (node_modules/pg-connection-string/index.js:107:24)"},
      {source: 'libpq', text: 'psql: error: connection to server at "db.example.com", port 5432 failed: root certificate file "/root/.postgresql/root.crt" does not exist\nEither provide the file, use the system\'s trusted roots with sslrootcert=system, or change sslmode to disable server certificate verification.'},
    ],
  }),
]
