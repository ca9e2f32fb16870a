// ssl-config: the SSL settings the app ends up with, as node-postgres computes them
// and as libpq (psql) does, side by side; and the configuration mistakes that make
// "psql connects, the app does not" (or the reverse). Pure config analysis: no
// sockets. Facts from the tls check (did the server chain verify the way
// node-postgres will verify it?) turn a dead-config warning into a verdict.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {analyzeSsl, describeDifference, describeSslObject, isUrlConnectionString, pgUrlParams, type CertFileRef, type SslAnalysis} from '../config/ssl.js'
import type {ResolvedConfig} from '../config/types.js'
import {urlParserModel} from '../config/url-parser.js'
import {redactUrl} from '../core/redact.js'
import type {TlsFacts} from '../core/facts.js'
import type {Check, CheckContext, CheckOutcome, Fix} from '../core/types.js'
import {splitUrl} from '../config/connection-string.js'
import {connectionStringSnippet} from './snippets.js'

export type SslFindingCode = 'SSL_UNIX_SOCKET' | 'SSL_CONFIG_CONFLICT' | 'SSL_CERT_FILE_UNREADABLE' | 'SSL_VERIFICATION_DISABLED' | 'SSLMODE_VERIFY_SEMANTICS'

export interface SslFinding {
  code: SslFindingCode
  severity: 'fail' | 'warn'
  setting: string
  source: string
  summary: string
  fix: Fix
}

/** Tie-break among findings of the same severity. */
const PRIORITY: SslFindingCode[] = ['SSL_UNIX_SOCKET', 'SSL_CONFIG_CONFLICT', 'SSL_CERT_FILE_UNREADABLE', 'SSL_VERIFICATION_DISABLED', 'SSLMODE_VERIFY_SEMANTICS']
const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat', 'sslnegotiation']

export const sslConfigCheck: Check = {
  id: 'ssl-config',
  title: 'SSL settings (node-postgres vs libpq)',
  requires: ['config'],
  provides: [],
  uses: ['tls'],
  async run(ctx) {
    return runSslConfig(ctx)
  },
}

export function runSslConfig(ctx: Pick<CheckContext, 'config' | 'env' | 'cwd' | 'facts'>): CheckOutcome {
  const {config, env, cwd} = ctx
  const appSsl = config.appSsl
  const parser = config.connectionString && config.urlParser ? urlParserModel(config.urlParser.by, config.urlParser.dir) : undefined
  const analysis = analyzeSsl({
    connectionString: config.connectionString,
    // The resolver keeps the ssl object of the winning (primary) layer only: the app passes both to pg.
    appSsl,
    fields: config.fields,
    env,
    cwd,
    homeDir: env.HOME || os.homedir(),
    fileExists: (p) => fs.existsSync(p),
    certBase: certBase(config, cwd),
    parserKnowsCompat: parser?.libpqCompat ?? true,
  })
  const isPrisma = config.primary?.kind === 'prisma'
  const tls = ctx.facts.tls
  const chainVerifies = tls?.verifiedAsApp
  // Over a Unix socket the server never does SSL; libpq skips it whatever sslmode says.
  const socketDir = unixSocketDir(config)
  const difference = socketDir
    ? null
    : (describeDifference(analysis.nodePg, analysis.libpq, chainVerifies) ?? analysis.difference)

  const findings: SslFinding[] = []
  findings.push(...certFileFindings(analysis.files, cwd, isPrisma))
  if (socketDir) {
    const socket = socketFinding(analysis, socketDir)
    if (socket) findings.push(socket)
  } else {
    const conflict = conflictFinding(analysis, config, env, chainVerifies, tls)
    if (conflict) findings.push(conflict)
    findings.push(...disabledFindings(analysis, config))
    const semantics = isPrisma ? null : semanticsFinding(analysis, config, env, parser)
    if (semantics) findings.push(semantics)
  }
  findings.sort((a, b) => sev(b) - sev(a) || PRIORITY.indexOf(a.code) - PRIORITY.indexOf(b.code))

  const n = analysis.nodePg
  const l = analysis.libpq
  const yesNo = (b: boolean) => (b ? 'yes' : 'no')
  const comparison = [
    {setting: 'setting in effect', nodePostgres: n.setting, libpq: l.setting},
    {setting: 'encrypt', nodePostgres: n.encrypt, libpq: l.encrypt},
    {setting: 'verify chain', nodePostgres: yesNo(n.verifyChain), libpq: yesNo(l.verifyChain)},
    {setting: 'verify hostname', nodePostgres: yesNo(n.verifyHostname), libpq: yesNo(l.verifyHostname)},
    {setting: 'CA from', nodePostgres: n.caFrom, libpq: l.caFrom},
    {setting: 'decided by', nodePostgres: n.sources.verify, libpq: l.sources.verify},
  ]
  if (n.error || l.error) comparison.push({setting: 'refuses the settings', nodePostgres: n.error ?? '-', libpq: l.error ?? '-'})
  const evidence: Record<string, unknown> = {comparison}
  if (difference) evidence.difference = difference
  if (appSsl) evidence.appSsl = {setting: describeSslObject(appSsl.value), source: appSsl.source.label}
  if (n.replaced) evidence.replacedBy = {urlParams: n.replaced.urlParams.join('&'), source: n.replaced.urlSource.label}
  if (tls && tls.verifiedAsApp !== undefined) evidence.chainVerifiesAsApp = tls.verifiedAsApp
  if (tls?.failureCode) evidence.tlsFailure = tls.failureCode
  if (parser && !isPrisma) evidence.urlParser = `modelled: ${parser.modelled}${parser.by === 'knex' ? ' — knex parses the string connection itself and hands pg an object' : ''}`
  if (isPrisma) evidence.note = "The app is a Prisma app: Prisma's engine reads sslmode/sslcert/sslaccept itself; node-postgres semantics apply only with the pg driver adapter."
  if (findings.length) evidence.findings = findings.map((f) => ({code: f.code, severity: f.severity, setting: f.setting, source: f.source}))

  if (socketDir) evidence.unixSocket = `${socketDir}: neither client uses SSL on it (node-postgres fails if asked to)`
  if (findings.length === 0) {
    return {
      status: 'pass',
      code: null,
      summary: socketDir
        ? `No SSL over the Unix socket in ${socketDir}, as psql: the server never offers SSL there.`
        : difference
          ? `No SSL misconfiguration; note: ${difference}`
          : `node-postgres and libpq agree: ${summaryOf(analysis)}.`,
      evidence,
      fix: null,
    }
  }
  const top = findings[0]
  const others = findings.slice(1)
  const fix: Fix = {
    ...top.fix,
    steps: [...top.fix.steps, ...others.map((f) => `Also (${f.code}): ${f.fix.summary}`)],
  }
  const summary = [top.summary, difference && top.code === 'SSL_CONFIG_CONFLICT' ? difference : null, others.length ? `(+${others.length} more: ${[...new Set(others.map((f) => f.code))].join(', ')})` : null]
    .filter(Boolean)
    .join(' ')
  return {status: top.severity, code: top.code, summary, evidence, fix}
}

function sev(f: SslFinding): number {
  return f.severity === 'fail' ? 2 : 1
}

// ---------- SSL_UNIX_SOCKET ----------

/** The socket directory when the host is one (libpq and node-postgres: a host starting with "/"). */
function unixSocketDir(config: ResolvedConfig): string | null {
  const host = config.fields.host?.value
  return host && host.startsWith('/') ? host : null
}

function socketFinding(a: SslAnalysis, dir: string): SslFinding | null {
  const n = a.nodePg
  if (n.encrypt !== 'yes') return null
  const source = n.sslmode?.source ?? n.sources.encrypt
  return {
    code: 'SSL_UNIX_SOCKET',
    severity: 'fail',
    setting: n.setting,
    source,
    summary: `The connection goes through the Unix socket in ${dir}, where PostgreSQL never offers SSL. node-postgres still asks for it (${n.setting} ← ${source}) and fails with "The server does not support SSL connections"; psql ignores sslmode on a Unix socket and connects.`,
    fix: {
      summary: `Turn SSL off for the Unix-socket connection in ${source}, or connect over TCP to keep TLS.`,
      steps: [
        `Remove ${n.setting} from ${source} (or set ssl: false): a Unix socket never leaves the machine, so there is nothing to encrypt.`,
        'To keep TLS, connect over TCP instead: a host name or IP address (host=127.0.0.1 on the same machine) in place of the socket directory.',
        'Cloud SQL and similar proxies expose a Unix socket: the proxy itself encrypts the connection to the database, so ssl must be off on the socket.',
      ],
    },
  }
}

function summaryOf(a: SslAnalysis): string {
  const n = a.nodePg
  if (n.encrypt === 'no') return 'no SSL'
  return `SSL${n.verifyChain ? ', certificate verified' : ', certificate NOT verified'}${n.verifyHostname ? ' with host name' : ''}`
}

/** Prisma resolves certificate paths from the schema's folder; node-postgres from the app's working folder. */
function certBase(config: ResolvedConfig, cwd: string): string {
  const src = config.primary
  if (src?.kind === 'prisma' && src.file && src.file.endsWith('.prisma')) return path.dirname(path.resolve(cwd, src.file))
  return cwd
}

// ---------- SSL_CERT_FILE_UNREADABLE ----------

function readProblem(file: string): string | null {
  try {
    const fd = fs.openSync(file, 'r')
    try {
      const buf = Buffer.alloc(1)
      fs.readSync(fd, buf, 0, 1, 0)
    } finally {
      fs.closeSync(fd)
    }
    return null
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    const words: Record<string, string> = {ENOENT: 'does not exist', EACCES: 'is not readable (permission denied)', EISDIR: 'is a directory', ENOTDIR: 'has a path component that is not a directory', ELOOP: 'is a symlink loop'}
    return `${words[code] ?? 'cannot be read'} (${code})`
  }
}

function certFileFindings(files: CertFileRef[], cwd: string, isPrisma: boolean): SslFinding[] {
  const out: SslFinding[] = []
  const seen = new Set<string>()
  for (const f of files) {
    // one finding per setting: the app's reader comes first, psql's reading of the same URL param is the same mistake
    const key = `${f.param}:${f.path}:${f.source}`
    if (seen.has(key)) continue
    seen.add(key)
    const problem = readProblem(f.resolved)
    if (!problem) continue
    const who =
      isPrisma && f.reader === 'node-postgres'
        ? `Prisma reads it (${f.param === 'sslcert' ? "in Prisma URLs sslcert is the server's CA certificate; " : ''}relative paths resolve from the schema's folder) and cannot connect`
        : f.reader === 'node-postgres'
        ? `node-postgres reads it while connecting and throws (the app fails with ENOENT/EACCES before talking to the server)`
        : `libpq (psql) ${f.param === 'sslrootcert' ? 'cannot verify the server with it' : 'cannot present the client certificate'}`
    const shown = f.path === f.resolved ? f.path : `${f.path} (→ ${f.resolved})`
    const escapes = escapedName(f.path, cwd)
    out.push({
      code: 'SSL_CERT_FILE_UNREADABLE',
      severity: 'fail',
      setting: `${f.param}=${f.path}`,
      source: f.source,
      summary: `The ${f.param} file ${shown} from ${f.source} ${problem}: ${who}.`,
      fix: {
        summary: `Point ${f.param} in ${f.source} at a readable PEM file.`,
        steps: [
          ...(escapes ? [escapes] : []),
          `${f.param} is set to ${f.path} in ${f.source}; that file ${problem}.`,
          path.isAbsolute(f.path)
            ? `Put the ${f.param === 'sslkey' ? 'private key' : 'certificate'} at ${f.path}, or change the path.`
            : `Relative paths resolve from the folder the app runs in (${path.dirname(f.resolved) === cwd ? cwd : path.dirname(f.resolved)}); use an absolute path or run from that folder.`,
          f.param === 'sslkey' ? 'The key must be readable by the app user (mode 0600, owned by that user).' : 'The file must be readable by the user the app runs as.',
        ],
      },
    })
  }
  return out
}

/**
 * A file name that still holds percent-escapes ("%2Ftmp%2Fca.pem"): node-postgres decodes URL
 * parameters, except when the URL contains a space; pg-connection-string then re-encodes the
 * whole URL and restores only escapes made of two digits.
 */
function escapedName(file: string, cwd: string): string | null {
  if (!/%[0-9A-Fa-f]{2}/.test(file)) return null
  let decoded: string
  try {
    decoded = decodeURIComponent(file)
  } catch {
    return null
  }
  const there = readProblem(path.resolve(cwd, decoded)) === null
  return `The name still holds percent-escapes: node-postgres read "${file}" literally, which happens when the URL also contains a space or a "%" that is not an escape (it then re-encodes the whole URL and restores only escapes made of two digits). Write the path without escapes (a "/" is fine in a URL parameter), or encode that space as %20 and that "%" as %25; the decoded path ${decoded} ${there ? 'exists and is readable' : 'cannot be read either'}.`
}

// ---------- SSL_CONFIG_CONFLICT ----------

/** Env variables holding exactly this connection string (DATABASE_URL first). */
function envVarFor(env: Record<string, string | undefined>, value: string): string | undefined {
  const names = Object.keys(env).filter((k) => env[k] === value)
  return names.includes('DATABASE_URL') ? 'DATABASE_URL' : names.sort()[0]
}

/** The redacted URL with its ssl params replaced by `params`. */
function urlWith(value: string, params: string): string {
  const masked = redactUrl(value)
  const q = masked.indexOf('?')
  const base = q >= 0 ? masked.slice(0, q) : masked
  const kept = q >= 0 ? masked.slice(q + 1).split('&').filter((kv) => kv && !SSL_PARAMS.includes(kv.split('=')[0])) : []
  const all = [...kept, ...(params ? [params] : [])]
  return all.length ? `${base}?${all.join('&')}` : base
}

function conflictFinding(
  a: SslAnalysis,
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  chainVerifies: boolean | undefined,
  tls: TlsFacts | undefined,
): SslFinding | null {
  const r = a.nodePg.replaced
  const cs = config.connectionString
  if (!r || !cs) return null
  // ssl: false in the object and sslmode=disable (or ssl=0) in the URL say the same thing: no conflict.
  if (config.appSsl?.value === false && a.nodePg.encrypt === 'no') return null
  const obj = r.objectSource
  const where = `${obj.file ?? obj.label}${obj.environment ? ` (${obj.environment} environment)` : ''}`
  const v = config.appSsl?.value
  const lost = config.appSsl ? describeSslObject(v) : `ssl { ${r.lostKeys.join(', ')} }`
  const lostWords = v !== null && typeof v === 'object' ? lost.replace(/^ssl: /, 'ssl object ') : `ssl setting (${lost})`
  // Losing the object changes the outcome only when node-postgres still verifies after the URL
  // replaced it: with sslmode=no-verify or sslmode=disable in the URL nothing is verified.
  const changes = r.changesVerification && chainVerifies === false && a.nodePg.encrypt === 'yes' && a.nodePg.verifyChain
  const variable = envVarFor(env, cs.value)
  const varWhere = variable ? (r.urlSource.label.startsWith(variable) ? r.urlSource.label.split(' (via ')[0] : variable) : r.urlSource.label
  const root = tls?.chain?.find((c) => c.selfSigned)
  const why = tls?.failureCode ?? tls?.problems?.[0]
  const chainWords = root
    ? `the server's chain ends in the self-signed root "${root.subject}", which ${a.nodePg.caFrom} does not contain${why ? ` (${why})` : ''}`
    : `the server's certificate chain does not verify against ${a.nodePg.caFrom}${why ? ` (${why})` : ''}`
  const summary = changes
    ? `The ${lostWords} in ${where} is ignored: ${r.urlParams.join('&')} in ${varWhere} replaces it, so node-postgres verifies the certificate, and ${chainWords}.`
    : `The ${lostWords} in ${where} is dead configuration: ${r.urlParams.join('&')} in ${varWhere} replaces it${
        a.nodePg.encrypt === 'no'
          ? ', so node-postgres connects without TLS and verifies nothing'
          : !a.nodePg.verifyChain
            ? ', so node-postgres encrypts without verifying the certificate (the app connects, unverified)'
            : r.changesVerification
              ? chainVerifies === undefined
                ? ' (whether that changes the outcome is unknown: the TLS check did not run)'
                : ' (today the chain verifies either way)'
              : ''
      }.`
  const objSetting = obj.file ? `${obj.file}${obj.environment ? ` (${obj.environment})` : ''}` : obj.label
  const dotenvLine = `${variable ?? 'DATABASE_URL'}=${urlWith(cs.value, 'sslmode=verify-full&sslrootcert=./ca.pem')}`
  const strippedUrl = urlWith(cs.value, '')
  return {
    code: 'SSL_CONFIG_CONFLICT',
    severity: changes ? 'fail' : 'warn',
    setting: `${r.urlParams.join('&')} replaces ${lost}`,
    source: `${r.urlSource.label}; ${obj.label}`,
    summary,
    fix: {
      summary: `Configure SSL in one place only, and keep certificate verification on: give node-postgres the server's CA instead of turning verification off.`,
      steps: [
        `node-postgres does Object.assign({}, config, parse(connectionString)): any ssl parameter in the URL (${r.urlParams.join(', ')}) replaces the whole ssl object of ${objSetting}.`,
        root
          ? `Get the root certificate "${root.subject}" that signed the server's chain (from whoever runs the server / your provider's CA bundle) and save it as ca.pem next to the app.`
          : `Get the CA certificate that signed the server certificate (your provider's CA bundle, or the self-signed root) and save it as ca.pem next to the app.`,
        `Either (A) let the URL carry the CA — in ${varWhere}: ${dotenvLine} — and delete the ssl object from ${objSetting};`,
        `or (B) keep the ssl object with the CA and remove the ssl parameters from the URL: ${variable ?? 'the URL'}=${strippedUrl} (snippet below).`,
        `Do not use rejectUnauthorized: false or sslmode=no-verify: that accepts any certificate, including an attacker's.`,
      ],
      snippet: {
        language: 'js',
        code: [
          `// ${objSetting}: (B) no ssl params in ${variable ?? 'the URL'}, the ssl object keeps the CA`,
          `const fs = require('node:fs')`,
          `// …`,
          `connection: {`,
          `  connectionString: process.env.${variable ?? 'DATABASE_URL'}, // ${strippedUrl}`,
          `  ssl: { ca: fs.readFileSync('ca.pem', 'utf8'), rejectUnauthorized: true },`,
          `},`,
        ].join('\n'),
      },
    },
  }
}

// ---------- SSL_VERIFICATION_DISABLED ----------

function disabledFindings(a: SslAnalysis, config: ResolvedConfig): SslFinding[] {
  return a.nodePg.verificationDisabledBy.map((d) => {
    const isEnv = d.setting.startsWith('NODE_TLS_REJECT_UNAUTHORIZED')
    return {
      code: 'SSL_VERIFICATION_DISABLED' as const,
      severity: 'warn' as const,
      setting: d.setting,
      source: d.source,
      summary: isEnv
        ? `NODE_TLS_REJECT_UNAUTHORIZED=0 (${d.source}) turns off certificate verification for every TLS connection of the process: anyone on the network path can impersonate the database (and every HTTPS API) and read the password and the data.`
        : `${d.setting} (${d.source}) encrypts without verifying the server certificate: anyone on the network path can impersonate the database and read the password and the data (man-in-the-middle).`,
      fix: {
        summary: isEnv ? `Remove NODE_TLS_REJECT_UNAUTHORIZED=0 from ${d.source} and trust the server's CA instead.` : `Verify the server instead of ${d.setting}: trust its CA.`,
        steps: [
          `Get the CA certificate that signed the server certificate (provider CA bundle, or your own root) as ca.pem.`,
          `URL form: sslmode=verify-full&sslrootcert=./ca.pem (node-postgres and psql both verify chain and host name).`,
          `Object form: ssl: { ca: fs.readFileSync('ca.pem', 'utf8') } and no rejectUnauthorized: false.`,
          ...(isEnv ? ['For other Node TLS clients, NODE_EXTRA_CA_CERTS=/path/ca.pem adds a CA without disabling verification.'] : []),
        ],
        snippet: isEnv ? {language: 'dotenv', code: 'NODE_EXTRA_CA_CERTS=./ca.pem'} : verifySnippet(config),
      },
    }
  })
}

// ---------- SSLMODE_VERIFY_SEMANTICS ----------

function semanticsFinding(
  a: SslAnalysis,
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  parser?: import('../config/url-parser.js').UrlParserModel,
): SslFinding | null {
  const m = a.nodePg.sslmode
  if (m && a.nodePg.libpqCompat && m.value === 'no-verify' && a.nodePg.encrypt === 'yes') return compatNoVerifyFinding(a, config, env)
  if (!m && a.nodePg.encrypt === 'yes') {
    const t = sslTrueFinding(a, config, env)
    if (t) return t
  }
  if (!m || a.nodePg.libpqCompat || a.nodePg.encrypt !== 'yes') return null
  if (!['prefer', 'require', 'verify-ca'].includes(m.value)) return null
  const compatIgnored = parser && !parser.libpqCompat && config.connectionString && /[?&]uselibpqcompat=true(&|$)/i.test(config.connectionString.value) ? parser : undefined
  const libpqMeaning: Record<string, string> = {
    prefer: 'libpq: use SSL if the server offers it, without verifying the certificate, else connect unencrypted',
    require: 'libpq: encrypt, but do not verify the certificate (unless a root certificate file exists, then verify-ca)',
    'verify-ca': 'libpq: verify the chain against sslrootcert, but not the host name',
  }
  const fromEnv = m.setting.startsWith('PGSSLMODE')
  const cs = config.connectionString
  const variable = cs && !fromEnv ? envVarFor(env, cs.value) : undefined
  const fullUrl = cs && !fromEnv ? `${variable ?? 'DATABASE_URL'}=${urlWith(cs.value, `sslmode=verify-full${a.nodePg.caFrom.startsWith('sslrootcert=') ? `&${a.nodePg.caFrom}` : ''}`)}` : 'PGSSLMODE=verify-full'
  return {
    code: 'SSLMODE_VERIFY_SEMANTICS',
    severity: 'warn',
    setting: m.setting,
    source: m.source,
    summary: compatIgnored
      ? `uselibpqcompat=true has no effect here: knex parses a string connection itself, with pg-connection-string ${compatIgnored.version} (modelled: ${compatIgnored.modelled}), which predates uselibpqcompat, so ${m.setting} (${m.source}) means verify-full (SSL required, chain and host name checked against ${a.nodePg.caFrom}); ${libpqMeaning[m.value]}.`
      : `${m.setting} (${m.source}) means verify-full in node-postgres 8 (SSL required, chain and host name checked against ${a.nodePg.caFrom}); ${libpqMeaning[m.value]}. The same URL behaves differently in psql and in the app, and will change meaning in pg 9.`,
    fix: {
      summary: compatIgnored
        ? `Say what you mean: sslmode=verify-full (what knex does with this URL today); uselibpqcompat only works when pg parses the URL ({connectionString: …} in the knexfile).`
        : `Say what you mean: sslmode=verify-full (what node-postgres does today), or uselibpqcompat=true for libpq's meaning.`,
      steps: [
        `To keep today's behaviour explicitly: ${fullUrl}${a.nodePg.caFrom.startsWith('sslrootcert=') ? '' : ' (add &sslrootcert=./ca.pem when the server certificate is not from a public CA)'}.`,
        ...(compatIgnored
          ? [`knex hands pg the parsed object, so pg's newer parser never sees the URL; with connection: {connectionString: process.env.${variable ?? 'DATABASE_URL'}} in the knexfile, pg parses it and uselibpqcompat=true applies.`]
          : []),
        fromEnv
          ? `node-postgres turns any PGSSLMODE other than disable/no-verify into ssl: true (full verification against ${a.nodePg.caFrom}).`
          : `For libpq semantics in node-postgres add uselibpqcompat=true&sslmode=${m.value} — but psql rejects the unknown uselibpqcompat parameter, so psql needs the URL without it.`,
        `libpq reference: https://www.postgresql.org/docs/current/libpq-ssl.html (sslmode table).`,
      ],
      snippet: {language: 'dotenv', code: fullUrl},
    },
  }
}

/** uselibpqcompat=true&sslmode=no-verify: no-verify is not a libpq mode, node-postgres silently verifies fully. */
function compatNoVerifyFinding(a: SslAnalysis, config: ResolvedConfig, env: Record<string, string | undefined>): SslFinding {
  const m = a.nodePg.sslmode!
  const cs = config.connectionString
  const variable = cs ? envVarFor(env, cs.value) : undefined
  const full = cs ? `${variable ?? 'DATABASE_URL'}=${urlWith(cs.value, 'sslmode=verify-full&sslrootcert=./ca.pem')}` : 'sslmode=verify-full&sslrootcert=./ca.pem'
  return {
    code: 'SSLMODE_VERIFY_SEMANTICS',
    severity: 'warn',
    setting: `${m.setting}&uselibpqcompat=true`,
    source: m.source,
    summary: `${m.setting} is ignored (${m.source}): with uselibpqcompat=true node-postgres reads sslmode with libpq's meanings, where no-verify does not exist, so it verifies the certificate chain and host name against ${a.nodePg.caFrom} (verify-full) — the opposite of what no-verify says; psql rejects the URL.`,
    fix: {
      summary: 'Say what you mean: sslmode=verify-full with the server\'s CA (what node-postgres does today), and drop uselibpqcompat and no-verify.',
      steps: [
        `Give node-postgres the CA that signed the server certificate and keep verification: ${full}.`,
        'Do not turn verification off to make a connection work: that accepts any certificate, including an attacker\'s.',
        'libpq reference: https://www.postgresql.org/docs/current/libpq-ssl.html (sslmode table).',
      ],
      snippet: {language: 'dotenv', code: full},
    },
  }
}

/** URL ssl=true (or ssl=1) without sslmode: verify-full in node-postgres, sslmode=require in psql. */
function sslTrueFinding(a: SslAnalysis, config: ResolvedConfig, env: Record<string, string | undefined>): SslFinding | null {
  const cs = config.connectionString
  if (!cs || !isUrlConnectionString(cs.value)) return null
  const params = pgUrlParams(cs.value.trim())
  if (!params || !['true', '1'].includes(params.ssl ?? '') || params.sslmode) return null
  if (a.nodePg.sources.encrypt !== cs.source.label) return null
  const variable = envVarFor(env, cs.value)
  const rootcert = params.sslrootcert ? `&sslrootcert=${params.sslrootcert}` : ''
  const full = `${variable ?? 'DATABASE_URL'}=${urlWith(cs.value, `sslmode=verify-full${rootcert}`)}`
  return {
    code: 'SSLMODE_VERIFY_SEMANTICS',
    severity: 'warn',
    setting: `ssl=${params.ssl}`,
    source: cs.source.label,
    summary: `ssl=${params.ssl} (${cs.source.label}) means "SSL with full verification" in node-postgres (chain and host name against ${a.nodePg.caFrom}), but sslmode=require in psql (encrypt only${params.ssl === '1' ? '; psql rejects ssl=1 outright' : ''}): the same URL behaves differently in psql and in the app.`,
    fix: {
      summary: 'Write the mode explicitly: sslmode=verify-full (what node-postgres does with ssl=true).',
      steps: [
        `${full}${rootcert ? '' : ' (add &sslrootcert=./ca.pem when the server certificate is not from a public CA)'}.`,
        'sslmode=verify-full means the same in node-postgres and psql.',
      ],
      snippet: {language: 'dotenv', code: full},
    },
  }
}

/** Verification on, written where the connection string came from (or the ssl object form without one). */
function verifySnippet(config: ResolvedConfig): {language: string; code: string} {
  const cs = config.connectionString
  if (cs && /^postgres(?:ql)?:\/\//i.test(cs.value.trim())) {
    const masked = maskedUrlWith(cs.value.trim(), {sslmode: 'verify-full', sslrootcert: './ca.pem'})
    if (masked) return connectionStringSnippet(cs.source, masked)
  }
  return {language: 'js', code: "ssl: { ca: fs.readFileSync('ca.pem', 'utf8') },"}
}

/** The URL with the password as ****, ssl/sslmode/sslrootcert/no-verify params replaced by `params`. */
function maskedUrlWith(url: string, params: Record<string, string>): string | null {
  const parts = splitUrl(url)
  if (!parts) return null
  const info = parts.userinfo
  const colon = info === undefined ? -1 : info.indexOf(':')
  const userinfo = info === undefined ? '' : colon >= 0 ? `${info.slice(0, colon)}:****@` : `${info}@`
  const q = parts.rest.indexOf('?')
  const path = q >= 0 ? parts.rest.slice(0, q) : parts.rest
  const kept = (q >= 0 ? parts.rest.slice(q + 1) : '').split('&').filter((kv) => kv && !/^(ssl|sslmode|sslrootcert|uselibpqcompat)=/i.test(kv))
  const all = [...kept, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)]
  return `${parts.scheme}${userinfo}${parts.hostport}${path}?${all.join('&')}`
}
