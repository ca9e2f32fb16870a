// Codes of the `ssl-config` check (node-postgres vs libpq SSL settings), and the check's words: the
// summaries and fixes of its findings, built from the params the check emits (src/checks/ssl-config.ts
// holds data only).
import {connectionStringSnippet} from './snippets.js'
import {POSTGRES_SCHEME, VERIFY_FULL_ALIASES} from '../config/connection-string.js'
import type {SslAnalysis, SslRefusal} from '../config/ssl.js'
import type {UrlParserModelled} from '../config/url-parser.js'
import {urlParserText} from './modelled.js'
import type {Provenance} from '../config/types.js'
import type {Fix} from '../core/types.js'
import {define, messages, type Finding} from './types.js'

/** Pass summaries of the ssl-config check. */
/** The ssl-config check's evidence lines that are words. */
export const sslConfigEvidence = messages({
  /** the app's driver is postgres.js (`client`: what was modelled, e.g. "postgres.js 3.4.7") */
  postgresJs: (p: {client: string}) =>
    `modelled: ${p.client} — postgres.js reads sslmode its own way: require/prefer/allow encrypt without verifying, any other mode verifies`,
  urlParser: (p: {modelled: UrlParserModelled; byKnex: boolean}) =>
    `modelled: ${urlParserText(p.modelled)}${p.byKnex ? ' — knex parses the string connection itself and hands pg an object' : ''}`,
  /** Prisma 2–6's own engine is the app's driver (`client`: "prisma-engine 6.2.0 (sslmode=require: TLS, not verified)") */
  prismaEngine: (p: {client: string}) =>
    `modelled: ${p.client} — Prisma's engine reads sslmode disable/prefer/require (any other value as prefer) and verifies the certificate only with sslaccept=strict`,
  prismaApp: () =>
    "The app is a Prisma app: Prisma's engine reads sslmode/sslcert/sslaccept itself; node-postgres semantics apply only with the pg driver adapter.",
  unixSocket: (p: {dir: string}) => `${p.dir}: neither client uses SSL on it (node-postgres fails if asked to)`,
})

export const sslConfigSays = messages({
  /** the check's title in reports */
  title: () => 'SSL settings (node-postgres vs libpq)',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    'the effective SSL settings as node-postgres and as libpq/psql compute them, and where they differ',
  unixSocket: (p: {dir: string}) =>
    `No SSL over the Unix socket in ${p.dir}, as psql: the server never offers SSL there.`,
  difference: (p: {difference: string}) => `No SSL misconfiguration; note: ${p.difference}`,
  /** the app's driver is not node-postgres: its own reading (`client`) is what connects */
  appDriver: (p: {client: string}) => `No SSL misconfiguration for the app's driver: ${p.client}.`,
  agree: (p: {encrypt: string; verifyChain: boolean; verifyHostname: boolean}) =>
    `node-postgres and libpq agree: ${p.encrypt === 'no' ? 'no SSL' : `SSL${p.verifyChain ? ', certificate verified' : ', certificate NOT verified'}${p.verifyHostname ? ' with host name' : ''}`}.`,
})

/**
 * The words of several findings folded into one outcome: the first gives summary and fix, the
 * connection's node-postgres/libpq difference follows a conflict, the others are named and their
 * fixes' summaries appended as steps.
 */
export function foldSslFindings(
  top: Finding,
  others: Finding[],
  difference: string | null,
): {summary: string; fix: Fix} {
  const summary = [
    top.summary,
    difference && top.code === 'SSL_CONFIG_CONFLICT' ? difference : null,
    others.length ? `(+${others.length} more: ${[...new Set(others.map((f) => f.code))].join(', ')})` : null,
  ]
    .filter(Boolean)
    .join(' ')
  return {
    summary,
    fix: {...top.fix, steps: [...top.fix.steps, ...others.map((f) => `Also (${f.code}): ${f.fix.summary}`)]},
  }
}

/** `VAR=url`: the connection string as it would be written in its variable (DATABASE_URL when none holds it). */
function assignmentLine(variable: string | null, url: string): string {
  return `${variable ?? 'DATABASE_URL'}=${url}`
}

interface UnixSocket {
  /** the socket directory */
  dir: string
  /** the setting that asks for SSL, and where it comes from */
  setting: string
  source: string
}

interface CertFile {
  param: 'sslrootcert' | 'sslcert' | 'sslkey'
  /** as written, and as the reader resolves it */
  path: string
  resolved: string
  source: string
  /** why it cannot be read (errno) */
  errno: string
  reader: 'node-postgres' | 'libpq'
  isPrisma: boolean
  absolute: boolean
  /** the folder the path resolves from */
  dir: string
  /** when the name still holds percent-escapes: the decoded path and whether that one is readable */
  escaped: {decoded: string; readable: boolean} | null
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'is not readable (permission denied)',
  EISDIR: 'is a directory',
  ENOTDIR: 'has a path component that is not a directory',
  ELOOP: 'is a symlink loop',
}

function unreadable(errno: string): string {
  return `${ERRNO_WORDS[errno] ?? 'cannot be read'} (${errno})`
}

interface Conflict {
  /** the URL's ssl params that replace the app's ssl object */
  urlParams: string[]
  /** where that URL is set, as the fix names it (its variable, or its source) */
  varWhere: string
  /** the env variable holding the URL, when one does */
  variable: string | null
  /** the lost ssl setting, described (config/ssl.ts), and whether it is an ssl object */
  lost: string
  lostIsObject: boolean
  /** where the ssl object is written */
  object: {file: string | null; label: string; environment: string | null; kind?: string}
  /** losing the object changes the outcome (the chain does not verify the URL's way) */
  changes: boolean
  encrypt: string
  verifyChain: boolean
  changesVerification: boolean
  /** did the chain verify the way the app verifies (null: the tls check did not run) */
  chainVerifies: boolean | null
  /** the self-signed root the server's chain ends in, and the tls check's failure code */
  rootSubject: string | null
  why: string | null
  /** the CA node-postgres verifies against, in words (config/ssl.ts) */
  caFrom: string
  /** the app's URL (redacted) with the CA in it, and without ssl params */
  urlWithCa: string
  urlStripped: string
}

interface Disabled {
  setting: string
  source: string
  /** NODE_TLS_REJECT_UNAUTHORIZED=0 (else an ssl setting) */
  isEnv: boolean
  /** the app's URL (password masked) with verification on, and its source, when the app uses a URL */
  verifyUrl: {masked: string; source: Provenance} | null
}

/** The three ways an sslmode (or ssl=true) means something else in node-postgres than in psql. */
type Semantics =
  | {
      kind: 'mode'
      /** "sslmode=require", and where it comes from */
      setting: string
      source: string
      mode: string
      caFrom: string
      /** the mode comes from PGSSLMODE */
      fromEnv: boolean
      variable: string | null
      /** the app's URL (redacted) with sslmode=verify-full, when the mode is in a URL */
      url: string | null
      /** knex's own pg-connection-string ignores uselibpqcompat=true in the URL */
      compatIgnored: {version: string; modelled: UrlParserModelled} | null
    }
  | {
      kind: 'compat-no-verify'
      setting: string
      source: string
      caFrom: string
      variable: string | null
      url: string | null
    }
  | {
      kind: 'ssl-true'
      ssl: string
      source: string
      caFrom: string
      variable: string | null
      url: string
      rootcert: boolean
    }

const LIBPQ_MEANING: Record<string, string> = {
  prefer: 'libpq: use SSL if the server offers it, without verifying the certificate, else connect unencrypted',
  require: 'libpq: encrypt, but do not verify the certificate (unless a root certificate file exists, then verify-ca)',
  'verify-ca': 'libpq: verify the chain against sslrootcert, but not the host name',
}

function semanticsSummary(p: Semantics): string {
  switch (p.kind) {
    case 'compat-no-verify':
      return `${p.setting} is ignored (${p.source}): with uselibpqcompat=true node-postgres reads sslmode with libpq's meanings, where no-verify does not exist, so it verifies the certificate chain and host name against ${p.caFrom} (verify-full) — the opposite of what no-verify says; psql rejects the URL.`
    case 'ssl-true':
      return `ssl=${p.ssl} (${p.source}) means "SSL with full verification" in node-postgres (chain and host name against ${p.caFrom}), but sslmode=require in psql (encrypt only${p.ssl === '1' ? '; psql rejects ssl=1 outright' : ''}): the same URL behaves differently in psql and in the app.`
    case 'mode':
      return p.compatIgnored
        ? `uselibpqcompat=true has no effect here: knex parses a string connection itself, with pg-connection-string ${p.compatIgnored.version} (modelled: ${urlParserText(p.compatIgnored.modelled)}), which predates uselibpqcompat, so ${p.setting} (${p.source}) means verify-full (SSL required, chain and host name checked against ${p.caFrom}); ${LIBPQ_MEANING[p.mode]}.`
        : `${p.setting} (${p.source}) means verify-full in node-postgres 8 (SSL required, chain and host name checked against ${p.caFrom}); ${LIBPQ_MEANING[p.mode]}. The same URL behaves differently in psql and in the app, and will change meaning in pg 9.`
  }
}

function semanticsFix(p: Semantics): Fix {
  switch (p.kind) {
    case 'compat-no-verify': {
      const full = p.url !== null ? assignmentLine(p.variable, p.url) : 'sslmode=verify-full&sslrootcert=./ca.pem'
      return {
        summary:
          "Say what you mean: sslmode=verify-full with the server's CA (what node-postgres does today), and drop uselibpqcompat and no-verify.",
        steps: [
          `Give node-postgres the CA that signed the server certificate and keep verification: ${full}.`,
          "Do not turn verification off to make a connection work: that accepts any certificate, including an attacker's.",
          'libpq reference: https://www.postgresql.org/docs/current/libpq-ssl.html (sslmode table).',
        ],
        snippet: {language: 'dotenv', code: full},
      }
    }
    case 'ssl-true': {
      const full = assignmentLine(p.variable, p.url)
      return {
        summary: 'Write the mode explicitly: sslmode=verify-full (what node-postgres does with ssl=true).',
        steps: [
          `${full}${p.rootcert ? '' : ' (add &sslrootcert=./ca.pem when the server certificate is not from a public CA)'}.`,
          'sslmode=verify-full means the same in node-postgres and psql.',
        ],
        snippet: {language: 'dotenv', code: full},
      }
    }
    case 'mode': {
      const rootcert = p.caFrom.startsWith('sslrootcert=')
      const fullUrl = p.url !== null ? assignmentLine(p.variable, p.url) : 'PGSSLMODE=verify-full'
      return {
        summary: p.compatIgnored
          ? `Say what you mean: sslmode=verify-full (what knex does with this URL today); uselibpqcompat only works when pg parses the URL ({connectionString: …} in the knexfile).`
          : `Say what you mean: sslmode=verify-full (what node-postgres does today), or uselibpqcompat=true for libpq's meaning.`,
        steps: [
          `To keep today's behaviour explicitly: ${fullUrl}${rootcert ? '' : ' (add &sslrootcert=./ca.pem when the server certificate is not from a public CA)'}.`,
          ...(p.compatIgnored
            ? [
                `knex hands pg the parsed object, so pg's newer parser never sees the URL; with connection: {connectionString: process.env.${p.variable ?? 'DATABASE_URL'}} in the knexfile, pg parses it and uselibpqcompat=true applies.`,
              ]
            : []),
          p.fromEnv
            ? `node-postgres turns any PGSSLMODE other than disable/no-verify into ssl: true (full verification against ${p.caFrom}).`
            : `For libpq semantics in node-postgres add uselibpqcompat=true&sslmode=${p.mode} — but psql rejects the unknown uselibpqcompat parameter, so psql needs the URL without it.`,
          `libpq reference: https://www.postgresql.org/docs/current/libpq-ssl.html (sslmode table).`,
        ],
        snippet: {language: 'dotenv', code: fullUrl},
      }
    }
  }
}

export const SSL_CONFIG_CONFLICT = define<Conflict>({
  code: 'SSL_CONFIG_CONFLICT',
  check: 'ssl-config',
  status: 'fail',
  statusText: 'fail / warn',
  title: "The URL's ssl params replace the ssl object",
  meaning:
    "The connection string has ssl params (`sslmode`, `sslrootcert`, `ssl`…) and the app also passes an `ssl` object (knexfile `connection.ssl`): node-postgres lets the URL replace the whole object. Fail when that changes the outcome (the lost object disabled verification or supplied a CA, and the chain does not verify the URL's way), warn when it is dead config.",
  causes: [
    '`?sslmode=require` in DATABASE_URL next to `ssl: { ca }` or `ssl: { rejectUnauthorized: false }` in the knexfile',
  ],
  fix: "Configure SSL in one place and keep verification on: the CA in the URL (`sslmode=verify-full&sslrootcert=./ca.pem`) and no object, or no ssl params in the URL and `ssl: { ca: fs.readFileSync('ca.pem') }`.",
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '✗ SSL settings (node-postgres vs libpq) SSL_CONFIG_CONFLICT (1 ms)'}],
  summary: (p) => {
    const o = p.object
    const where = `${o.file ?? o.label}${o.environment ? ` (${o.environment} environment)` : ''}`
    const lostWords = p.lostIsObject ? p.lost.replace(/^ssl: /, 'ssl object ') : `ssl setting (${p.lost})`
    const chainWords = p.rootSubject
      ? `the server's chain ends in the self-signed root "${p.rootSubject}", which ${p.caFrom} does not contain${p.why ? ` (${p.why})` : ''}`
      : `the server's certificate chain does not verify against ${p.caFrom}${p.why ? ` (${p.why})` : ''}`
    return p.changes
      ? `The ${lostWords} in ${where} is ignored: ${p.urlParams.join('&')} in ${p.varWhere} replaces it, so node-postgres verifies the certificate, and ${chainWords}.`
      : `The ${lostWords} in ${where} is dead configuration: ${p.urlParams.join('&')} in ${p.varWhere} replaces it${
          p.encrypt === 'no'
            ? ', so node-postgres connects without TLS and verifies nothing'
            : !p.verifyChain
              ? ', so node-postgres encrypts without verifying the certificate (the app connects, unverified)'
              : p.changesVerification
                ? p.chainVerifies === null
                  ? ' (whether that changes the outcome is unknown: the TLS check did not run)'
                  : ' (today the chain verifies either way)'
                : ''
        }.`
  },
  buildFix: (p) => {
    const o = p.object
    const objSetting = o.file ? `${o.file}${o.environment ? ` (${o.environment})` : ''}` : o.label
    const dotenvLine = assignmentLine(p.variable, p.urlWithCa)
    return {
      summary: `Configure SSL in one place only, and keep certificate verification on: give node-postgres the server's CA instead of turning verification off.`,
      steps: [
        `node-postgres does Object.assign({}, config, parse(connectionString)): any ssl parameter in the URL (${p.urlParams.join(', ')}) replaces the whole ssl object of ${objSetting}.`,
        p.rootSubject
          ? `Get the root certificate "${p.rootSubject}" that signed the server's chain (from whoever runs the server / your provider's CA bundle) and save it as ca.pem next to the app.`
          : `Get the CA certificate that signed the server certificate (your provider's CA bundle, or the self-signed root) and save it as ca.pem next to the app.`,
        `Either (A) let the URL carry the CA — in ${p.varWhere}: ${dotenvLine} — and delete the ssl object from ${objSetting};`,
        `or (B) keep the ssl object with the CA and remove the ssl parameters from the URL: ${p.variable ?? 'the URL'}=${p.urlStripped} (snippet below).`,
        `Do not use rejectUnauthorized: false or sslmode=no-verify: that accepts any certificate, including an attacker's.`,
      ],
      snippet: {
        language: 'js',
        code:
          o.kind === 'typeorm'
            ? [
                `// ${objSetting}: (B) no ssl params in ${p.variable ?? 'the URL'}, the data source keeps the CA (extra.ssl, when set, wins over ssl)`,
                `import fs from 'node:fs'`,
                `export const AppDataSource = new DataSource({`,
                `  type: 'postgres',`,
                `  url: process.env.${p.variable ?? 'DATABASE_URL'}, // ${p.urlStripped}`,
                `  ssl: { ca: fs.readFileSync('ca.pem', 'utf8'), rejectUnauthorized: true },`,
                `  // …`,
                `})`,
              ].join('\n')
            : [
                `// ${objSetting}: (B) no ssl params in ${p.variable ?? 'the URL'}, the ssl object keeps the CA`,
                `const fs = require('node:fs')`,
                `// …`,
                `connection: {`,
                `  connectionString: process.env.${p.variable ?? 'DATABASE_URL'}, // ${p.urlStripped}`,
                `  ssl: { ca: fs.readFileSync('ca.pem', 'utf8'), rejectUnauthorized: true },`,
                `},`,
              ].join('\n'),
      },
    }
  },
})

export const SSL_UNIX_SOCKET = define<UnixSocket>({
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
  summary: (p) =>
    `The connection goes through the Unix socket in ${p.dir}, where PostgreSQL never offers SSL. node-postgres still asks for it (${p.setting} ← ${p.source}) and fails with "The server does not support SSL connections"; psql ignores sslmode on a Unix socket and connects.`,
  buildFix: (p) => ({
    summary: `Turn SSL off for the Unix-socket connection in ${p.source}, or connect over TCP to keep TLS.`,
    steps: [
      `Remove ${p.setting} from ${p.source} (or set ssl: false): a Unix socket never leaves the machine, so there is nothing to encrypt.`,
      'To keep TLS, connect over TCP instead: a host name or IP address (host=127.0.0.1 on the same machine) in place of the socket directory.',
      'Cloud SQL and similar proxies expose a Unix socket: the proxy itself encrypts the connection to the database, so ssl must be off on the socket.',
    ],
  }),
})

export const SSLMODE_VERIFY_SEMANTICS = define<Semantics>({
  code: 'SSLMODE_VERIFY_SEMANTICS',
  check: 'ssl-config',
  status: 'warn',
  title: 'sslmode means verify-full in node-postgres',
  meaning:
    '`sslmode=prefer`, `require` or `verify-ca` (or URL `ssl=true`) means verify-full in node-postgres 8, while libpq only encrypts (or skips the host name): "psql connects; your Node app will not". Also `uselibpqcompat=true&sslmode=no-verify`: no-verify is not a libpq mode, so node-postgres silently verifies fully.',
  causes: [
    'a URL written for libpq/psql (sslmode=require) used by a Node app',
    'ssl=true copied from a JDBC URL',
    'no-verify combined with uselibpqcompat=true',
  ],
  fix: "Write `sslmode=verify-full` (plus `sslrootcert` for a private CA), or `uselibpqcompat=true` for libpq's meaning.",
  transient: false,
  matchers: [
    "are treated as aliases for 'verify-full'",
    'Using sslmode=verify-ca requires specifying a CA',
    // a pasted URL: the mode psql reads as "encrypt only" and node-postgres as verify-full
    {
      re: new RegExp(`${POSTGRES_SCHEME.source}[^\\s'"]{0,500}[?&]sslmode=(?:prefer|require|verify-ca)(?![\\w-])`, 'i'),
      needle: 'sslmode=',
    },
  ],
  examples: [
    {source: 'config', text: 'DATABASE_URL=postgres://app:****@db.example.com:5432/app?sslmode=require'},
    {
      source: 'node-postgres',
      text: "(node:4242) Warning: SECURITY WARNING: The SSL modes 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'.",
    },
  ],
  summary: semanticsSummary,
  buildFix: semanticsFix,
})

export const SSL_VERIFICATION_DISABLED = define<Disabled>({
  code: 'SSL_VERIFICATION_DISABLED',
  check: 'ssl-config',
  status: 'warn',
  title: 'Certificate verification disabled',
  meaning:
    '`sslmode=no-verify`, `rejectUnauthorized: false` or `NODE_TLS_REJECT_UNAUTHORIZED=0`: encrypted but unauthenticated — anyone on the path can impersonate the server and read the password.',
  causes: ['a workaround for a self-signed or private-CA chain that was never replaced by the CA'],
  fix: "Trust the server's CA (`sslrootcert` / `ssl.ca`) and remove the setting.",
  transient: false,
  matchers: [
    "Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0'",
    'sslmode=no-verify',
    'rejectUnauthorized: false',
  ],
  examples: [
    {
      source: 'node',
      text: "(node:4242) Warning: Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes TLS connections and HTTPS requests insecure by disabling certificate verification.",
    },
  ],
  summary: (p) =>
    p.isEnv
      ? `NODE_TLS_REJECT_UNAUTHORIZED=0 (${p.source}) turns off certificate verification for every TLS connection of the process: anyone on the network path can impersonate the database (and every HTTPS API) and read the password and the data.`
      : `${p.setting} (${p.source}) encrypts without verifying the server certificate: anyone on the network path can impersonate the database and read the password and the data (man-in-the-middle).`,
  buildFix: (p) => ({
    summary: p.isEnv
      ? `Remove NODE_TLS_REJECT_UNAUTHORIZED=0 from ${p.source} and trust the server's CA instead.`
      : `Verify the server instead of ${p.setting}: trust its CA.`,
    steps: [
      `Get the CA certificate that signed the server certificate (provider CA bundle, or your own root) as ca.pem.`,
      `URL form: sslmode=verify-full&sslrootcert=./ca.pem (node-postgres and psql both verify chain and host name).`,
      `Object form: ssl: { ca: fs.readFileSync('ca.pem', 'utf8') } and no rejectUnauthorized: false.`,
      ...(/--(?:no-)?reject-unauthorized/.test(p.source)
        ? [
            "node-pg-migrate: drop --reject-unauthorized false from the script (it turns into ssl: {rejectUnauthorized: false}); with the URL form the URL's ssl parameters replace that object anyway.",
          ]
        : []),
      ...(p.isEnv
        ? ['For other Node TLS clients, NODE_EXTRA_CA_CERTS=/path/ca.pem adds a CA without disabling verification.']
        : []),
    ],
    // verification on, written where the connection string came from (or the ssl object form without one)
    snippet: p.isEnv
      ? {language: 'dotenv', code: 'NODE_EXTRA_CA_CERTS=./ca.pem'}
      : p.verifyUrl
        ? connectionStringSnippet(p.verifyUrl.source, p.verifyUrl.masked)
        : {language: 'js', code: "ssl: { ca: fs.readFileSync('ca.pem', 'utf8') },"},
  }),
})

export const SSL_CERT_FILE_UNREADABLE = define<CertFile>({
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
    {
      re: /ENOENT: no such file or directory, open '[^'\n]{0,300}\.(?:pem|crt|cer|key)'/i,
      needle: 'enoent: no such file or directory',
    },
    {re: /(?:root )?certificate file "[^"]{0,300}" does not exist/i, needle: 'does not exist'},
    {re: /could not (?:open|read) (?:root )?certificate file/i, needle: 'certificate file'},
    {re: /could not (?:open|load) private key file/i, needle: 'private key file'},
  ],
  examples: [
    {
      source: 'node-postgres',
      text: "Error: ENOENT: no such file or directory, open './certs/ca.pem'\n    at Object.openSync (node:fs:573:18)\n    at Object.readFileSync (node:fs:452:35)\n    at parse (node_modules/pg-connection-string/index.js:107:24)",
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "db.example.com", port 5432 failed: root certificate file "/root/.postgresql/root.crt" does not exist\nEither provide the file, use the system\'s trusted roots with sslrootcert=system, or change sslmode to disable server certificate verification.',
    },
  ],
  summary: (p) => {
    const who =
      p.isPrisma && p.reader === 'node-postgres'
        ? `Prisma reads it (${p.param === 'sslcert' ? "in Prisma URLs sslcert is the server's CA certificate; " : ''}relative paths resolve from the schema's folder) and cannot connect`
        : p.reader === 'node-postgres'
          ? `node-postgres reads it while connecting and throws (the app fails with ENOENT/EACCES before talking to the server)`
          : `libpq (psql) ${p.param === 'sslrootcert' ? 'cannot verify the server with it' : 'cannot present the client certificate'}`
    const shown = p.path === p.resolved ? p.path : `${p.path} (→ ${p.resolved})`
    return `The ${p.param} file ${shown} from ${p.source} ${unreadable(p.errno)}: ${who}.`
  },
  buildFix: (p) => ({
    summary: `Point ${p.param} in ${p.source} at a readable PEM file.`,
    steps: [
      // A name that still holds percent-escapes ("%2Ftmp%2Fca.pem"): node-postgres decodes URL parameters, except
      // when the URL contains a space; pg-connection-string then re-encodes the whole URL and restores only
      // escapes made of two digits.
      ...(p.escaped
        ? [
            `The name still holds percent-escapes: node-postgres read "${p.path}" literally, which happens when the URL also contains a space or a "%" that is not an escape (it then re-encodes the whole URL and restores only escapes made of two digits). Write the path without escapes (a "/" is fine in a URL parameter), or encode that space as %20 and that "%" as %25; the decoded path ${p.escaped.decoded} ${p.escaped.readable ? 'exists and is readable' : 'cannot be read either'}.`,
          ]
        : []),
      `${p.param} is set to ${p.path} in ${p.source}; that file ${unreadable(p.errno)}.`,
      p.absolute
        ? `Put the ${p.param === 'sslkey' ? 'private key' : 'certificate'} at ${p.path}, or change the path.`
        : `Relative paths resolve from the folder the app runs in (${p.dir}); use an absolute path or run from that folder.`,
      p.param === 'sslkey'
        ? 'The key must be readable by the app user (mode 0600, owned by that user).'
        : 'The file must be readable by the user the app runs as.',
    ],
  }),
})

interface Dropped {
  /** The migration tool that throws the setting away. */
  tool: string
  /** The setting as written ("sslmode=require", "ssl: true") and where it is. */
  setting: string
  source: string
  /** The config file and environment where TLS must be configured instead, when the tool has one. */
  file: string | null
  environment: string | null
  /** What the driver does instead: no | try | yes (encrypt), and whether it verifies. */
  encrypt: string
  verifyChain: boolean
  /** sequelize-cli only: the config file is JSON (no fs.readFileSync for a CA there). */
  json: boolean
}

const DROP_WHY: Record<string, string> = {
  'sequelize-cli':
    'sequelize-cli keeps only host, port, database, user and password of the URL (use_env_variable / url), and sequelize hands node-postgres no ssl but dialectOptions.ssl',
  'drizzle-kit': 'drizzle-kit passes dbCredentials.url alone to the driver; an ssl key next to it is dropped',
}

export const SSL_SETTING_DROPPED = define<Dropped>({
  code: 'SSL_SETTING_DROPPED',
  check: 'ssl-config',
  status: 'warn',
  title: 'The migration tool throws this SSL setting away',
  meaning:
    "An SSL setting is written where the migration tool never passes it to the driver: sequelize-cli drops every query parameter of the URL but host, port, database, user and password (so `sslmode=require` does nothing; TLS comes only from `dialectOptions.ssl`, else PGSSLMODE), and a top-level `ssl` in its config never reaches node-postgres; drizzle-kit drops `dbCredentials.ssl` next to `dbCredentials.url`. The connection then runs without TLS (or without the CA) although the configuration seems to ask for it. A warning: whether the login then fails is the auth check's verdict (a server that requires TLS refuses it: `no pg_hba.conf entry … no encryption`).",
  causes: [
    'sequelize-cli with `use_env_variable: "DATABASE_URL"` and `?sslmode=require` in the URL (a hosted database URL pasted as is)',
    '`"ssl": true` at the top of a sequelize config environment instead of `dialectOptions.ssl`',
  ],
  fix: "Configure TLS where the tool reads it: `dialectOptions: {ssl: {ca: fs.readFileSync('ca.pem', 'utf8')}}` in the sequelize config (or `{ssl: {rejectUnauthorized: true}}` for a public CA).",
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! SSL settings (node-postgres vs libpq) SSL_SETTING_DROPPED (1 ms)'}],
  summary: (p) =>
    `${p.setting} (${p.source}) never reaches the driver: ${DROP_WHY[p.tool] ?? `${p.tool} drops it`}. ${
      p.encrypt === 'no'
        ? 'node-postgres connects without TLS.'
        : `node-postgres uses what is left: ${p.encrypt === 'yes' ? 'TLS' : 'TLS when offered'}${p.verifyChain ? ', certificate verified' : ', certificate NOT verified'}.`
    }`,
  buildFix: (p) => {
    if (p.tool === 'sequelize-cli') {
      const where = `${p.file ?? 'the sequelize config'}${p.environment ? ` ("${p.environment}" environment)` : ''}`
      const env = p.environment ?? 'development'
      return {
        summary: `Put TLS in dialectOptions.ssl of ${where}: that is the only ssl sequelize passes to node-postgres.`,
        steps: [
          `${p.setting} (${p.source}) is thrown away by sequelize-cli; keep the URL for host, user, password and database.`,
          p.json
            ? `In ${p.file ?? 'config/config.json'} add "dialectOptions": {"ssl": {"require": true, "rejectUnauthorized": true}} to "${env}" (verifies against Node's built-in CA list: a public CA); for a private CA rename the file to config/config.js and read the CA with fs (snippet).`
            : `In ${p.file ?? 'config/config.js'} add dialectOptions.ssl with the server's CA to "${env}" (snippet).`,
          "Do not use rejectUnauthorized: false: that accepts any certificate, including an attacker's.",
        ],
        snippet: {
          language: 'js',
          code: [
            `// ${p.json ? 'config/config.js' : (p.file ?? 'config/config.js')}`,
            `const fs = require('node:fs')`,
            `module.exports = {`,
            `  ${/^[A-Za-z_$][\w$]*$/.test(env) ? env : JSON.stringify(env)}: {`,
            `    use_env_variable: 'DATABASE_URL',`,
            `    dialect: 'postgres',`,
            `    dialectOptions: {ssl: {ca: fs.readFileSync('ca.pem', 'utf8'), rejectUnauthorized: true}},`,
            `  },`,
            `}`,
          ].join('\n'),
        },
      }
    }
    return {
      summary: `Configure TLS where ${p.tool} passes it to the driver, not in ${p.source}.`,
      steps: [
        `${p.setting} (${p.source}) is dropped by ${p.tool}: ${DROP_WHY[p.tool] ?? 'it never reaches the driver'}.`,
      ],
    }
  },
})

/** One reader's TLS for the same URL, as the ssl-config check models it. */
interface Reading {
  /** "prisma-engine 7.0.0", "@prisma/adapter-pg 7.10.1 → node-postgres 8.16.3" */
  client: string
  setting: string
  encrypt: 'no' | 'try' | 'yes'
  verifyChain: boolean
  verifyHostname: boolean
  caFrom: string
}

interface PrismaRuntime {
  /** where the URL comes from */
  source: string
  /** the migration: Prisma's schema engine (quaint's reading) */
  engine: Reading
  /** the app's runtime: PrismaClient through @prisma/adapter-pg (node-postgres' reading) */
  runtime: Reading
  /** the chain problem the runtime's verification meets on the chain the server presented (same CA store), else null */
  runtimeFails: string | null
  /**
   * The two URLs (passwords masked) that replace the one both read: no single URL verifies in both and stays
   * readable by libpq (the engine takes its CA only from sslcert, which libpq and node-postgres load as a
   * client certificate; libpq refuses sslaccept). Null when the connection is not a URL that can be rewritten.
   */
  split: PrismaSplit | null
  /** the CA file the URL names already (sslcert or sslrootcert), else null (a placeholder is written) */
  caFile: string | null
}

interface PrismaSplit {
  /** prisma migrate's URL, in the schema engine's parameters (sslmode=require&sslaccept=strict&sslcert=CA) */
  migrate: string
  /** the adapter's URL, in libpq's parameters (sslmode=verify-full&sslrootcert=CA) */
  runtime: string
  /** where the URL comes from today */
  source: Provenance
  /** the Prisma setting that gives prisma migrate its URL: "datasource.url" in prisma.config.ts, "datasource db.url" in the schema */
  setting: {file: string | null; name: string} | null
  /** the variable prisma migrate gets for itself (MIGRATE_<name>), when the URL comes from a variable both read */
  migrateVariable: string | null
  /** every parameter of the runtime URL is a libpq keyword: psql reads it as node-postgres does */
  runtimeLibpq: boolean
  /** Prisma's own parameters left out of the runtime URL (node-postgres ignores them, libpq refuses them) */
  dropped: string[]
}

/** `env('X')` as the file that reads it writes it: prisma.config.ts (TypeScript) or the Prisma schema. */
function envCall(file: string | null, name: string): string {
  return file && /\.prisma$/.test(file) ? `env("${name}")` : `env('${name}')`
}

/** Two lines for the variables' file or shell, each URL in its own variable; null when the source is not a variable. */
function splitSnippet(p: PrismaSplit): Fix['snippet'] | null {
  const {source} = p
  if (!p.migrateVariable || (source.kind !== 'env' && source.kind !== 'env-file')) return null
  const line = (name: string, url: string) => (source.kind === 'env' ? `export ${name}='${url}'` : `${name}="${url}"`)
  return {
    language: source.kind === 'env' ? 'bash' : 'dotenv',
    code: `${line(source.name, p.runtime)}\n${line(p.migrateVariable, p.migrate)}`,
  }
}

function readingWords(r: Reading): string {
  if (r.encrypt === 'no') return 'no TLS'
  const tls = r.encrypt === 'try' ? 'TLS when the server offers it, else plaintext' : 'TLS'
  if (!r.verifyChain) return `${tls}, certificate not verified`
  return `${tls}, ${r.verifyHostname ? 'chain and host name' : 'chain'} verified against ${r.caFrom}`
}

export const SSL_PRISMA_RUNTIME_DIFFERS = define<PrismaRuntime>({
  code: 'SSL_PRISMA_RUNTIME_DIFFERS',
  check: 'ssl-config',
  status: 'warn',
  title: "prisma migrate and the app's driver adapter read the URL's SSL differently",
  meaning:
    "`prisma migrate deploy`, `migrate dev` and `db push` connect with Prisma's schema engine in every version, Prisma 7 included (the CLI starts the Rust engine with the `datasource.url` of prisma.config.ts; quaint reads sslmode disable/prefer/require, anything else as prefer, and verifies the certificate only with `sslaccept=strict`, the CA in `sslcert`). The app's PrismaClient connects through `@prisma/adapter-pg`, which hands the URL to node-postgres: `sslmode=require` means verify-full there, against Node's CA list or `sslrootcert`. The same URL then gives two different connections: typically the migration connects without verifying the certificate while the app refuses a private CA (TlsConnectionError, printed as P1010).",
  causes: [
    'a hosted database URL with `sslmode=require` used for both prisma.config.ts and `new PrismaPg({connectionString})`',
    '`sslmode=verify-full&sslrootcert=…` written for the adapter: the schema engine reads it as prefer without verification',
  ],
  fix: "Give prisma migrate and the app's adapter a URL each: prisma migrate's (prisma.config.ts `datasource.url`, or the schema's) with `sslmode=require&sslaccept=strict&sslcert=<CA>`, read by the schema engine only; the adapter's (`new PrismaPg({connectionString})`) with `sslmode=verify-full&sslrootcert=<CA>`, read alike by node-postgres and psql. One URL cannot serve both: the engine takes the CA only from `sslcert`, which node-postgres and libpq load as a client certificate, and psql refuses `sslaccept`. Never turn verification off.",
  transient: false,
  matchers: [],
  examples: [
    {
      source: 'db-doctor',
      text: '! SSL settings (node-postgres vs libpq) SSL_PRISMA_RUNTIME_DIFFERS (1 ms)',
    },
  ],
  summary: (p) =>
    `The URL (${p.source}) is read two ways: prisma migrate runs ${p.engine.client}, which reads ${p.engine.setting} as ${readingWords(p.engine)}; the app's runtime, PrismaClient through ${p.runtime.client}, reads it as ${readingWords(p.runtime)}${
      p.runtimeFails
        ? ` — and the server's certificate fails that verification (${p.runtimeFails}): migrations run, the app fails with TlsConnectionError (Prisma Client: P1010 … (not available))`
        : ''
    }.`,
  buildFix: (p) => {
    const ca = p.caFile ?? '/absolute/path/to/ca.pem'
    const sp = p.split
    const migrateParams = `sslmode=require&sslaccept=strict&sslcert=${ca}`
    const runtimeParams = `sslmode=verify-full&sslrootcert=${ca}`
    const engineReads =
      'only the schema engine reads it: sslmode=require, sslaccept=strict and the CA in sslcert verify chain and host name (psql refuses sslaccept, node-postgres would load sslcert as a client certificate: give this URL to nothing else)'
    const migrateStep = !sp
      ? `prisma migrate's URL (${p.source}) with ${migrateParams}: ${engineReads}.`
      : sp.migrateVariable
        ? `prisma migrate's URL in a variable of its own, ${sp.migrateVariable}: ${sp.migrate} — and ${sp.setting ? `${sp.setting.file ? `${sp.setting.file} ` : ''}${sp.setting.name}` : 'the Prisma datasource setting that reads it'} reads ${envCall(sp.setting?.file ?? null, sp.migrateVariable)} instead of ${envCall(sp.setting?.file ?? null, sp.source.name)}; ${engineReads}.`
        : `prisma migrate's URL (${p.source}): ${sp.migrate} — ${engineReads}.`
    const runtimeReaders = sp?.runtimeLibpq ? 'node-postgres and libpq (psql) both verify' : 'node-postgres verifies'
    const runtimeStep = !sp
      ? `The URL the app passes to new PrismaPg({connectionString}) with ${runtimeParams}: node-postgres verifies chain and host name against the CA in sslrootcert.`
      : `${
          sp.migrateVariable
            ? `${sp.source.name} keeps the URL the app's adapter reads (new PrismaPg({connectionString: process.env.${sp.source.name}}))`
            : 'The URL the app passes to new PrismaPg({connectionString})'
        }: ${sp.runtime} — ${runtimeReaders} chain and host name against the CA in sslrootcert (verify-full).${
          sp.dropped.length
            ? ` Prisma's own parameters are left out of it (${sp.dropped.join(', ')}): node-postgres ignores them${sp.runtimeLibpq ? ' and psql refuses them' : ''}; the adapter takes a schema as new PrismaPg(config, {schema}).`
            : ''
        }`
    const snippet = sp ? splitSnippet(sp) : null
    return {
      summary: `Give prisma migrate and the app's adapter a URL each: ${migrateParams} for the schema engine, ${runtimeParams} for node-postgres${sp?.runtimeLibpq ? ' and psql' : ''}.`,
      steps: [
        migrateStep,
        runtimeStep,
        `${p.caFile ? 'Keep' : 'Write'} the CA path absolute: node-postgres and psql resolve a relative path from the working folder, while Prisma resolves a relative sslcert for its engine from its own files.`,
        'Not one URL with both sets of parameters: the schema engine takes its CA only from sslcert (it ignores sslrootcert), and psql refuses such a URL (invalid URI query parameter: "sslaccept"; without sslaccept, it loads sslcert as a client certificate: certificate present, but not private key file).',
        `db-doctor check --json then reads prisma migrate's URL (the tls check follows the schema engine); modelled.runtime names the adapter and the pg version the app loads.`,
      ],
      ...(snippet ? {snippet} : sp ? {snippet: connectionStringSnippet(sp.source, sp.migrate)} : {}),
    }
  },
})

export const sslConfigEntries = [
  SSL_CONFIG_CONFLICT,
  SSL_SETTING_DROPPED,
  SSL_UNIX_SOCKET,
  SSLMODE_VERIFY_SEMANTICS,
  SSL_VERIFICATION_DISABLED,
  SSL_CERT_FILE_UNREADABLE,
  SSL_PRISMA_RUNTIME_DIFFERS,
]

/** The setting libpq has in effect, as shown: sslmode=require with a root certificate file verifies the chain. */
export function libpqSettingText(libpq: Pick<SslAnalysis['libpq'], 'setting' | 'actsAsVerifyCa'>): string {
  return libpq.setting + (libpq.actsAsVerifyCa ? ' (acts as verify-ca: a root certificate file exists)' : '')
}

/**
 * A setting that turns verification off, as shown: NODE_TLS_REJECT_UNAUTHORIZED=0 that an explicit
 * rejectUnauthorized overrides for node-postgres still leaves every other TLS connection unverified.
 */
export function disabledSettingText(d: SslAnalysis['nodePg']['verificationDisabledBy'][number]): string {
  return d.overridden
    ? `${d.setting} (overridden for node-postgres by an explicit rejectUnauthorized, but every other TLS connection in the process is unverified)`
    : d.setting
}

/** Why a client refuses the ssl settings before connecting, in one sentence. */
export function sslRefusalText(r: SslRefusal): string {
  switch (r.id) {
    case 'verify-ca-without-ca':
      return 'node-postgres refuses sslmode=verify-ca with uselibpqcompat=true but no sslrootcert ("SECURITY WARNING: Using sslmode=verify-ca requires specifying a CA with sslrootcert").'
    case 'direct-without-ssl':
      return 'node-postgres refuses sslnegotiation=direct when nothing turns SSL on ("sslnegotiation=direct requires SSL to be enabled").'
    case 'invalid-sslmode':
      return `libpq rejects sslmode=${r.mode} ("invalid sslmode value").`
    case 'uri-params':
      return `libpq rejects the URL parameter ${r.params.map((k) => `"${k}"`).join(', ')} ("invalid URI query parameter").`
    case 'no-root-cert':
      return `libpq refuses sslmode=${r.mode} without a root certificate file (${r.path} does not exist).`
    case 'weak-with-system':
      return `libpq refuses weak sslmode=${r.mode} together with sslrootcert=system.`
  }
}

/**
 * One sentence on how psql and the Node app differ, or null. `chainVerifies`
 * (from the TLS check: does the server chain verify the way node-postgres
 * verifies it) turns "may" into a verdict.
 */
export function describeDifference(
  nodePg: SslAnalysis['nodePg'],
  libpq: SslAnalysis['libpq'],
  chainVerifies?: boolean,
): string | null {
  const nodeRefusal = nodePg.error && sslRefusalText(nodePg.error)
  const libpqRefusal = libpq.error && sslRefusalText(libpq.error)
  const why =
    nodePg.sslmode && !nodePg.libpqCompat && (VERIFY_FULL_ALIASES as readonly string[]).includes(nodePg.sslmode.value)
      ? `node-postgres treats ${nodePg.sslmode.setting} (${nodePg.sslmode.source}) as verify-full and checks the server certificate against ${nodePg.caFrom}`
      : `node-postgres (${nodePg.setting}, ${nodePg.sources.verify}) verifies the server certificate against ${nodePg.caFrom}`
  if (libpqRefusal && !nodeRefusal)
    return `psql will not connect: ${libpqRefusal} node-postgres accepts this configuration.`
  if (nodeRefusal && !libpqRefusal) return `psql connects; your Node app will not, because ${nodeRefusal}`
  if (nodePg.encrypt === 'yes' && libpq.encrypt !== 'no' && nodePg.verifyChain && !libpq.verifyChain) {
    const libWhat = `libpq with ${libpq.sslmode.setting} only encrypts`
    if (chainVerifies === false) return `psql connects; your Node app will not, because ${why}, while ${libWhat}.`
    return `psql connects even to a server whose certificate cannot be verified; your Node app does not, because ${why}, while ${libWhat}.`
  }
  if (nodePg.encrypt === 'yes' && nodePg.verifyChain && libpq.verifyChain && nodePg.caFrom !== libpq.caFrom) {
    const tail =
      chainVerifies === false
        ? 'psql connects; your Node app will not'
        : 'psql and your Node app may disagree about the certificate'
    return `${tail}: psql trusts ${libpq.caFrom} (${libpq.sources.ca}), node-postgres trusts ${nodePg.caFrom}${libpq.sources.ca.includes('PGSSLROOTCERT') || libpq.sources.ca.includes('root.crt') ? ' and ignores PGSSLROOTCERT and ~/.postgresql/root.crt' : ''}.`
  }
  if (nodePg.verifyHostname && !libpq.verifyHostname && libpq.verifyChain)
    return `psql (${libpq.sslmode.setting}) does not check the host name in the certificate; node-postgres does, so a certificate issued for another name passes psql and fails your Node app.`
  if (nodePg.encrypt === 'no' && libpq.encrypt !== 'no')
    return `psql uses SSL when the server offers it (${libpq.sslmode.setting}); your Node app connects without SSL because node-postgres only encrypts when ssl is set — a server that requires SSL accepts psql and rejects the app.`
  if (nodePg.encrypt === 'yes' && libpq.encrypt === 'try')
    return `psql falls back to an unencrypted connection when the server has no SSL (${libpq.sslmode.setting}); your Node app does not, it fails with "The server does not support SSL connections".`
  if (nodePg.encrypt === 'yes' && !nodePg.verifyChain && libpq.verifyChain)
    return `psql verifies the server certificate (${libpq.sslmode.setting}); your Node app does not (${nodePg.verificationDisabledBy[0] ? disabledSettingText(nodePg.verificationDisabledBy[0]) : nodePg.setting}), so it would also talk to an impostor.`
  if (nodePg.encrypt === 'yes' && libpq.encrypt === 'no')
    return `psql connects without SSL (${libpq.sslmode.setting}); your Node app insists on SSL (${nodePg.setting}).`
  return null
}
