// ssl-config: the SSL settings the app ends up with, as node-postgres computes them
// and as libpq (psql) does, side by side; and the configuration mistakes that make
// "psql connects, the app does not" (or the reverse). Pure config analysis: no
// sockets. Facts from the tls check (did the server chain verify the way
// node-postgres will verify it?) turn a dead-config warning into a verdict.
import path from 'node:path'
import {describeSslObject, type CertFileRef, type SslAnalysis} from '../config/ssl.js'
import type {ResolvedConfig} from '../config/types.js'
import {targetOf} from '../config/target.js'
import {redactUrl} from '../core/redact.js'
import type {TlsFacts} from '../core/facts.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {
  LIBPQ_KEYWORDS,
  PRISMA_ENGINE_ONLY_PARAMS,
  SSL_PARAMS,
  SSL_VERIFY_PARAMS,
  VERIFY_FULL_ALIASES,
  urlWithParams,
  isUnixSocketHost,
  paramsFromQuery,
  isPostgresUrl,
} from '../config/connection-string.js'
import {
  SSLMODE_VERIFY_SEMANTICS,
  SSL_CERT_FILE_UNREADABLE,
  SSL_CONFIG_CONFLICT,
  SSL_SETTING_DROPPED,
  SSL_UNIX_SOCKET,
  SSL_VERIFICATION_DISABLED,
  SSL_PRISMA_RUNTIME_DIFFERS,
  describeDifference,
  disabledSettingText,
  foldSslFindings,
  libpqSettingText,
  sslRefusalText,
  sslConfigEvidence,
  sslConfigSays,
  sslConfigEntries,
} from '../catalogue/ssl-config.js'
import type {Finding} from '../catalogue/types.js'
import {readingModelledText} from '../catalogue/modelled.js'
import type {Provenance} from '../config/types.js'
import {FileReadError, readGuarded} from '../core/files.js'
import {DRIVERS} from '../models/drivers/index.js'

type SslFindingCode =
  | 'SSL_UNIX_SOCKET'
  | 'SSL_CONFIG_CONFLICT'
  | 'SSL_SETTING_DROPPED'
  | 'SSL_CERT_FILE_UNREADABLE'
  | 'SSL_VERIFICATION_DISABLED'
  | 'SSLMODE_VERIFY_SEMANTICS'
  | 'SSL_PRISMA_RUNTIME_DIFFERS'

/** A finding (its words from the catalogue) with the setting it is about and where that comes from. */
interface SslFinding extends Finding<SslFindingCode> {
  setting: string
  source: string
}

/** A catalogue finding with its setting and source (the evidence's `findings` list). */
function withSetting(f: Finding, setting: string, source: string): SslFinding {
  return {...(f as Finding<SslFindingCode>), setting, source}
}

/** Tie-break among findings of the same severity. */
const PRIORITY: SslFindingCode[] = [
  'SSL_UNIX_SOCKET',
  'SSL_CONFIG_CONFLICT',
  'SSL_SETTING_DROPPED',
  'SSL_CERT_FILE_UNREADABLE',
  'SSL_VERIFICATION_DISABLED',
  'SSLMODE_VERIFY_SEMANTICS',
  'SSL_PRISMA_RUNTIME_DIFFERS',
]

export const sslConfigCheck: RegisteredCheck<'ssl-config'> = {
  id: 'ssl-config',
  title: sslConfigSays.title(),
  establishes: sslConfigSays.establishes(),
  codes: [sslConfigEntries],
  requires: ['config'],
  provides: [],
  uses: ['tls'],
  async run(ctx) {
    return runSslConfig(ctx)
  },
}

/** The driver reading db-doctor connects with (config/driver-client.ts), in words; undefined when the settings are refused. */
function safeClient(ctx: Pick<CheckContext, 'config' | 'env' | 'cwd'>): string | undefined {
  try {
    const reading = targetOf(ctx).pgClient().urlParser
    return reading && readingModelledText(reading)
  } catch {
    return undefined
  }
}

type SslContext = Pick<CheckContext, 'config' | 'env' | 'cwd' | 'facts'>

/** How this app reads its SSL settings, as far as the findings depend on it. */
interface SslReading {
  isPrisma: boolean
  tls: SslContext['facts']['tls']
  driverName: string | null | undefined
  postgresJs: boolean
  /** a driver that reads the settings its own way (src/models/drivers) */
  ownReading: boolean
  /** the Unix socket directory, when the connection uses one */
  socketDir: string | null | undefined
}

function runSslConfig(ctx: SslContext): CheckOutcome {
  const {config} = ctx
  const target = targetOf(ctx)
  const analysis = target.ssl
  const driverName = config.stack?.driver.name
  const postgresJs = driverName === 'postgres.js'
  const reading: SslReading = {
    // Prisma's engine reads the URL (sslcert is the CA), unless prisma migrate goes through a driver adapter (6.6–6.19)
    isPrisma: config.primary?.kind === 'prisma' && !config.tools?.some((t) => t.migrateAdapter),
    tls: ctx.facts.tls,
    driverName,
    postgresJs,
    // a driver that reads the settings its own way (src/models/drivers): node-postgres's findings and its
    // difference with libpq do not describe this app
    ownReading: postgresJs || driverName === 'prisma-engine',
    // Over a Unix socket the server never does SSL; libpq skips it whatever sslmode says.
    socketDir: unixSocketDir(config),
  }
  const difference =
    reading.socketDir || reading.ownReading
      ? null
      : describeDifference(analysis.nodePg, analysis.libpq, reading.tls?.verifiedAsApp)
  const findings = sslFindings(ctx, analysis, reading)
  const client = reading.ownReading ? (safeClient(ctx) ?? `${driverName} ${config.stack!.driver.version}`) : null
  const evidence = sslEvidence(ctx, analysis, reading, {difference, client, findings})

  const n = analysis.nodePg
  if (findings.length === 0) {
    const summary = reading.socketDir
      ? sslConfigSays.unixSocket({dir: reading.socketDir})
      : client
        ? sslConfigSays.appDriver({client})
        : difference
          ? sslConfigSays.difference({difference})
          : sslConfigSays.agree({encrypt: n.encrypt, verifyChain: n.verifyChain, verifyHostname: n.verifyHostname})
    return {status: 'pass', code: null, summary, evidence, fix: null}
  }
  const top = findings[0]
  const {summary, fix} = foldSslFindings(top, findings.slice(1), difference ?? null)
  const listed = findings.filter(
    (f, i) => findings.findIndex((g) => g.code === f.code && g.summary === f.summary) === i,
  )
  return {
    status: top.severity,
    code: top.code,
    summary,
    evidence,
    fix,
    findings: listed.map((f) => ({code: f.code, status: f.severity, summary: f.summary})),
  }
}

/** The findings about the settings, the most severe first. */
function sslFindings(ctx: SslContext, analysis: SslAnalysis, reading: SslReading): SslFinding[] {
  const {config, env, cwd} = ctx
  const target = targetOf(ctx)
  const findings: SslFinding[] = []
  findings.push(...certFileFindings(analysis.files, cwd, reading.isPrisma))
  if (reading.socketDir) {
    const socket = socketFinding(analysis, reading.socketDir)
    if (socket) findings.push(socket)
  } else if (reading.ownReading) {
    // postgres.js and Prisma's engine read the settings their own way (src/models/drivers/): node-postgres's
    // findings (URL params replacing the ssl object, sslmode=require meaning verify-full, uselibpqcompat)
    // do not apply; what the tool throws away still does.
    const dropped = droppedFinding(analysis, config)
    if (dropped) findings.push(dropped)
    const runtime = prismaRuntimeFinding(ctx, reading)
    if (runtime) findings.push(runtime)
  } else {
    const conflict = conflictFinding(analysis, config, env, reading.tls?.verifiedAsApp, reading.tls)
    if (conflict) findings.push(conflict)
    const dropped = droppedFinding(analysis, config)
    if (dropped) findings.push(dropped)
    findings.push(...disabledFindings(analysis, config))
    // a server without TLS (the tls check's TLS_NOT_SUPPORTED): asking for verify-full would contradict its fix
    const semantics =
      reading.isPrisma || reading.tls?.offered === false
        ? null
        : semanticsFinding(analysis, config, env, target.urlParser, target.urlParams)
    if (semantics) findings.push(semantics)
  }
  return findings.sort((a, b) => sev(b) - sev(a) || PRIORITY.indexOf(a.code) - PRIORITY.indexOf(b.code))
}

/** node-postgres and libpq side by side, where the settings came from, and the findings in short. */
function sslEvidence(
  ctx: SslContext,
  analysis: SslAnalysis,
  reading: SslReading,
  m: {difference: string | null; client: string | null; findings: SslFinding[]},
): Evidence {
  const {config} = ctx
  const {tls, socketDir} = reading
  const {difference, client, findings} = m
  const parser = targetOf(ctx).urlParser
  const appSsl = config.appSsl
  const n = analysis.nodePg
  const l = analysis.libpq
  const yesNo = (b: boolean) => (b ? 'yes' : 'no')
  const comparison = [
    {setting: 'setting in effect', nodePostgres: n.setting, libpq: libpqSettingText(l)},
    {setting: 'encrypt', nodePostgres: n.encrypt, libpq: l.encrypt},
    {setting: 'verify chain', nodePostgres: yesNo(n.verifyChain), libpq: yesNo(l.verifyChain)},
    {setting: 'verify hostname', nodePostgres: yesNo(n.verifyHostname), libpq: yesNo(l.verifyHostname)},
    {setting: 'CA from', nodePostgres: n.caFrom, libpq: l.caFrom},
    {setting: 'decided by', nodePostgres: n.sources.verify, libpq: l.sources.verify},
  ]
  if (n.error || l.error)
    comparison.push({
      setting: 'refuses the settings',
      nodePostgres: n.error ? sslRefusalText(n.error) : '-',
      libpq: l.error ? sslRefusalText(l.error) : '-',
    })
  const evidence: Evidence = {comparison}
  if (difference) evidence.difference = difference
  if (appSsl) evidence.appSsl = {setting: describeSslObject(appSsl.value), source: appSsl.source.label}
  if (n.replaced) evidence.replacedBy = {urlParams: n.replaced.urlParams.join('&'), source: n.replaced.urlSource.label}
  if (tls && tls.verifiedAsApp !== undefined) evidence.chainVerifiesAsApp = tls.verifiedAsApp
  if (tls?.failureCode) evidence.tlsFailure = tls.failureCode
  if (client)
    evidence.driver = (reading.postgresJs ? sslConfigEvidence.postgresJs : sslConfigEvidence.prismaEngine)({client})
  else if (parser && !reading.isPrisma)
    evidence.urlParser = sslConfigEvidence.urlParser({modelled: parser.modelled, byKnex: parser.by === 'knex'})
  if (reading.isPrisma) evidence.note = sslConfigEvidence.prismaApp()
  if (findings.length)
    evidence.findings = findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      setting: f.setting,
      source: f.source,
    }))
  if (socketDir) evidence.unixSocket = sslConfigEvidence.unixSocket({dir: socketDir})
  return evidence
}

function sev(f: SslFinding): number {
  return f.severity === 'fail' ? 2 : 1
}

// ---------- SSL_UNIX_SOCKET ----------

/** The socket directory when the host is one (libpq and node-postgres: a host starting with "/"). */
function unixSocketDir(config: ResolvedConfig): string | null {
  const host = config.fields.host?.value
  return host && isUnixSocketHost(host) ? host : null
}

function socketFinding(a: SslAnalysis, dir: string): SslFinding | null {
  const n = a.nodePg
  if (n.encrypt !== 'yes') return null
  const source = n.sslmode?.source ?? n.sources.encrypt
  return withSetting(SSL_UNIX_SOCKET.finding({dir, setting: n.setting, source}, {}), n.setting, source)
}

/** Prisma resolves certificate paths from the schema's folder; node-postgres from the app's working folder. */
// ---------- SSL_CERT_FILE_UNREADABLE ----------

/** Why the file cannot be read (its errno), or null when it can. */
function readProblem(file: string): string | null {
  try {
    readGuarded(file, 'certificate') // never blocks on a FIFO, never reads /dev/zero
    return null
  } catch (error) {
    return (error as FileReadError).code ?? (error as NodeJS.ErrnoException).code ?? 'EIO'
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
    const params = {
      param: f.param,
      path: f.path,
      resolved: f.resolved,
      source: f.source,
      errno: problem,
      reader: f.reader,
      isPrisma,
      absolute: path.isAbsolute(f.path),
      dir: path.dirname(f.resolved),
      escaped: escapedName(f.path, cwd),
    }
    out.push(withSetting(SSL_CERT_FILE_UNREADABLE.finding(params, {}), `${f.param}=${f.path}`, f.source))
  }
  return out
}

/**
 * A file name that still holds percent-escapes ("%2Ftmp%2Fca.pem"): node-postgres decodes URL
 * parameters, except when the URL contains a space; pg-connection-string then re-encodes the
 * whole URL and restores only escapes made of two digits. The decoded path, and whether it is readable.
 */
function escapedName(file: string, cwd: string): {decoded: string; readable: boolean} | null {
  if (!/%[0-9A-Fa-f]{2}/.test(file)) return null
  let decoded: string
  try {
    decoded = decodeURIComponent(file)
  } catch {
    return null
  }
  return {decoded, readable: readProblem(path.resolve(cwd, decoded)) === null}
}

// ---------- SSL_SETTING_DROPPED ----------

/** An ssl setting the migration tool throws away before its driver sees it (config.droppedSsl). */
function droppedFinding(a: SslAnalysis, config: ResolvedConfig): SslFinding | null {
  const d = config.droppedSsl
  if (!d) return null
  const tool = config.tools?.[0]?.name ?? config.primary?.kind ?? 'the tool'
  const setting = typeof d.value === 'string' ? d.value : `ssl: ${describeSslObject(d.value)}`
  const primary = config.primary
  const file = primary?.file ?? null
  const params = {
    tool,
    setting,
    source: d.source.label,
    file,
    environment: primary?.kind === 'sequelize-cli' ? (primary.name ?? null) : null,
    encrypt: a.nodePg.encrypt,
    verifyChain: a.nodePg.verifyChain,
    json: !!file && file.endsWith('.json'),
  }
  return withSetting(SSL_SETTING_DROPPED.finding(params, {}), setting, d.source.label)
}

// ---------- SSL_CONFIG_CONFLICT ----------

/** Env variables holding exactly this connection string (DATABASE_URL first). */
function envVarFor(env: Record<string, string | undefined>, value: string): string | undefined {
  const names = Object.keys(env).filter((k) => env[k] === value)
  return names.includes('DATABASE_URL') ? 'DATABASE_URL' : names.sort()[0]
}

/** The app's URL (masked) with its ssl params replaced by `params`. */
function urlWith(value: string, params: string): string {
  return urlWithParams(value, {remove: SSL_PARAMS, set: paramsFromQuery(params)}) ?? redactUrl(value)
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
  const v = config.appSsl?.value
  const lost = config.appSsl ? describeSslObject(v) : `ssl { ${r.lostKeys.join(', ')} }`
  // Losing the object changes the outcome only when node-postgres still verifies after the URL
  // replaced it: with sslmode=no-verify or sslmode=disable in the URL nothing is verified.
  const changes = r.changesVerification && chainVerifies === false && a.nodePg.encrypt === 'yes' && a.nodePg.verifyChain
  const variable = envVarFor(env, cs.value)
  const varWhere = variable
    ? r.urlSource.label.startsWith(variable)
      ? r.urlSource.label.split(' (via ')[0]
      : variable
    : r.urlSource.label
  const params = {
    urlParams: r.urlParams,
    varWhere,
    variable: variable ?? null,
    lost,
    lostIsObject: v !== null && typeof v === 'object',
    object: {file: obj.file ?? null, label: obj.label, environment: obj.environment ?? null, kind: obj.kind},
    changes,
    encrypt: a.nodePg.encrypt,
    verifyChain: a.nodePg.verifyChain,
    changesVerification: r.changesVerification,
    chainVerifies: chainVerifies ?? null,
    rootSubject: tls?.chain?.find((c) => c.selfSigned)?.subject ?? null,
    why: tls?.failureCode ?? tls?.problems?.[0] ?? null,
    caFrom: a.nodePg.caFrom,
    urlWithCa: urlWith(cs.value, 'sslmode=verify-full&sslrootcert=./ca.pem'),
    urlStripped: urlWith(cs.value, ''),
  }
  const finding = SSL_CONFIG_CONFLICT.finding(params, {}, {status: changes ? 'fail' : 'warn'})
  return withSetting(finding, `${r.urlParams.join('&')} replaces ${lost}`, `${r.urlSource.label}; ${obj.label}`)
}

// ---------- SSL_VERIFICATION_DISABLED ----------

function disabledFindings(a: SslAnalysis, config: ResolvedConfig): SslFinding[] {
  return a.nodePg.verificationDisabledBy.map((d) => {
    const isEnv = d.setting.startsWith('NODE_TLS_REJECT_UNAUTHORIZED')
    const setting = disabledSettingText(d)
    const finding = SSL_VERIFICATION_DISABLED.finding(
      {setting, source: d.source, isEnv, verifyUrl: isEnv ? null : verifyUrl(config)},
      {},
    )
    return withSetting(finding, setting, d.source)
  })
}

// ---------- SSL_PRISMA_RUNTIME_DIFFERS ----------

/**
 * Prisma: the migration runs the schema engine (quaint's reading, the modelled driver), the app's PrismaClient
 * connects through @prisma/adapter-pg (node-postgres' reading, config.stack.runtime). The same URL read both
 * ways, when the two connections differ in encryption or verification.
 */
function prismaRuntimeFinding(ctx: SslContext, reading: SslReading): SslFinding | null {
  const {config, env} = ctx
  const stack = config.stack
  const cs = config.connectionString
  if (reading.driverName !== 'prisma-engine' || !stack?.runtime || !cs || !isPostgresUrl(cs.value)) return null
  const url = cs.value.trim()
  const label = cs.source.label
  let engine, runtime
  try {
    engine = DRIVERS['prisma-engine'].read({url, urlSource: label, env}, stack.driver.version).tls
    runtime = DRIVERS[stack.runtime.driver.name].read({url, urlSource: label, env}, stack.runtime.driver.version).tls
  } catch {
    return null
  }
  if (runtime.error) return null
  if (
    engine.encrypt === runtime.encrypt &&
    engine.verifyChain === runtime.verifyChain &&
    engine.verifyHostname === runtime.verifyHostname
  )
    return null
  const params = paramsFromQuery(url.split('?')[1] ?? '')
  const caFile = params.sslcert ?? params.sslrootcert ?? null
  const decoded = caFile === null ? null : safeDecode(caFile)
  // the server's chain as the TLS probe saw it: the runtime's verification meets the same problems when it
  // trusts the same store (no CA file of its own, and the probe had none either)
  const tls = ctx.facts.tls
  const sameStore = !params.sslrootcert && !params.sslcert
  const runtimeFails = runtime.verifyChain && sameStore && tls?.problems?.length ? tls.problems[0]! : null
  const ca = decoded ?? '/absolute/path/to/ca.pem'
  const finding = SSL_PRISMA_RUNTIME_DIFFERS.finding(
    {
      source: label,
      engine: {client: client(stack.driver, 'prisma-engine'), ...pick(engine)},
      runtime: {
        client: `${client(stack.runtime.adapter, stack.runtime.adapter.package)} → ${client(stack.runtime.driver, stack.runtime.driver.name)}`,
        ...pick(runtime),
      },
      runtimeFails,
      split: prismaSplit(ctx.config, url, params, ca),
      caFile: decoded,
    },
    {},
  )
  return withSetting(finding, runtime.setting, label)
}

const client = (r: {version: string}, name: string) => `${name} ${r.version}`

/**
 * The URL split in two (SSL_PRISMA_RUNTIME_DIFFERS' fix): prisma migrate's in the schema engine's parameters,
 * the adapter's in libpq's (which node-postgres reads alike), each password masked; where prisma migrate's
 * setting is, and the variable of its own it gets when both read one variable today.
 */
function prismaSplit(
  config: ResolvedConfig,
  url: string,
  params: Record<string, string>,
  ca: string,
): Parameters<typeof SSL_PRISMA_RUNTIME_DIFFERS.finding>[0]['split'] {
  const cs = config.connectionString!
  const migrate = urlWithParams(url, {
    remove: [...SSL_VERIFY_PARAMS, 'sslaccept', 'sslcert'],
    set: {sslmode: 'require', sslaccept: 'strict', sslcert: ca},
  })
  const dropped = PRISMA_ENGINE_ONLY_PARAMS.filter((k) => k in params)
  const runtime = urlWithParams(url, {
    remove: [...SSL_VERIFY_PARAMS, 'sslcert', ...dropped],
    set: {sslmode: 'verify-full', sslrootcert: ca},
  })
  if (migrate === null || runtime === null) return null
  const primary = config.primary
  const setting = primary?.kind === 'prisma' ? {file: primary.file ?? null, name: primary.name} : null
  // a directUrl is prisma migrate's own already; a URL both read gets a variable for prisma migrate beside it
  const shared = !setting?.name.endsWith('directUrl') && (cs.source.kind === 'env' || cs.source.kind === 'env-file')
  const runtimeParams = Object.keys(paramsFromQuery(runtime.split('?')[1] ?? ''))
  return {
    migrate,
    runtime,
    source: cs.source,
    setting,
    migrateVariable: shared ? `MIGRATE_${cs.source.name}` : null,
    runtimeLibpq: runtimeParams.every((k) => LIBPQ_KEYWORDS.has(k)),
    dropped,
  }
}
function pick(t: {
  setting: string
  encrypt: 'no' | 'try' | 'yes'
  verifyChain: boolean
  verifyHostname: boolean
  caFrom: string
}) {
  return {
    setting: t.setting,
    encrypt: t.encrypt,
    verifyChain: t.verifyChain,
    verifyHostname: t.verifyHostname,
    caFrom: t.caFrom,
  }
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v)
  } catch {
    return v
  }
}

// ---------- SSLMODE_VERIFY_SEMANTICS ----------

function semanticsFinding(
  a: SslAnalysis,
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  parser?: import('../config/url-parser.js').UrlParserModel,
  urlParams: Record<string, string> | null = null,
): SslFinding | null {
  const m = a.nodePg.sslmode
  if (m && a.nodePg.libpqCompat && m.value === 'no-verify' && a.nodePg.encrypt === 'yes')
    return compatNoVerifyFinding(a, config, env)
  if (!m && a.nodePg.encrypt === 'yes') {
    const t = sslTrueFinding(a, config, env, urlParams)
    if (t) return t
  }
  if (!m || a.nodePg.libpqCompat || a.nodePg.encrypt !== 'yes') return null
  if (!(VERIFY_FULL_ALIASES as readonly string[]).includes(m.value)) return null
  const compatIgnored =
    parser && !parser.libpqCompat && config.connectionString && urlParams?.uselibpqcompat === 'true'
      ? parser
      : undefined
  const fromEnv = m.setting.startsWith('PGSSLMODE')
  const cs = config.connectionString
  const variable = cs && !fromEnv ? envVarFor(env, cs.value) : undefined
  const url =
    cs && !fromEnv
      ? urlWith(
          cs.value,
          `sslmode=verify-full${a.nodePg.caFrom.startsWith('sslrootcert=') ? `&${a.nodePg.caFrom}` : ''}`,
        )
      : null
  const params = {
    kind: 'mode' as const,
    setting: m.setting,
    source: m.source,
    mode: m.value,
    caFrom: a.nodePg.caFrom,
    fromEnv,
    variable: variable ?? null,
    url,
    compatIgnored: compatIgnored ? {version: compatIgnored.version, modelled: compatIgnored.modelled} : null,
  }
  return withSetting(SSLMODE_VERIFY_SEMANTICS.finding(params, {}), m.setting, m.source)
}

/** uselibpqcompat=true&sslmode=no-verify: no-verify is not a libpq mode, node-postgres silently verifies fully. */
function compatNoVerifyFinding(
  a: SslAnalysis,
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
): SslFinding {
  const m = a.nodePg.sslmode!
  const cs = config.connectionString
  const variable = cs ? envVarFor(env, cs.value) : undefined
  const url = cs ? urlWith(cs.value, 'sslmode=verify-full&sslrootcert=./ca.pem') : null
  const params = {
    kind: 'compat-no-verify' as const,
    setting: m.setting,
    source: m.source,
    caFrom: a.nodePg.caFrom,
    variable: variable ?? null,
    url,
  }
  return withSetting(SSLMODE_VERIFY_SEMANTICS.finding(params, {}), `${m.setting}&uselibpqcompat=true`, m.source)
}

/** URL ssl=true (or ssl=1) without sslmode: verify-full in node-postgres, sslmode=require in psql. */
function sslTrueFinding(
  a: SslAnalysis,
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  params: Record<string, string> | null,
): SslFinding | null {
  const cs = config.connectionString
  if (!cs) return null
  if (!params || !['true', '1'].includes(params.ssl ?? '') || params.sslmode) return null
  if (a.nodePg.sources.encrypt !== cs.source.label) return null
  const variable = envVarFor(env, cs.value)
  const rootcert = params.sslrootcert ? `&sslrootcert=${params.sslrootcert}` : ''
  const finding = SSLMODE_VERIFY_SEMANTICS.finding(
    {
      kind: 'ssl-true',
      ssl: params.ssl ?? '',
      source: cs.source.label,
      caFrom: a.nodePg.caFrom,
      variable: variable ?? null,
      url: urlWith(cs.value, `sslmode=verify-full${rootcert}`),
      rootcert: rootcert !== '',
    },
    {},
  )
  return withSetting(finding, `ssl=${params.ssl}`, cs.source.label)
}

/** The app's URL (password masked) with verification on, and where it came from, when the app uses a URL. */
function verifyUrl(config: ResolvedConfig): {masked: string; source: Provenance} | null {
  const cs = config.connectionString
  if (cs && isPostgresUrl(cs.value)) {
    const masked = maskedUrlWith(cs.value.trim(), {sslmode: 'verify-full', sslrootcert: './ca.pem'})
    if (masked) return {masked, source: cs.source}
  }
  return null
}

/** The URL with the password as ****, ssl/sslmode/sslrootcert/no-verify params replaced by `params`. */
function maskedUrlWith(url: string, params: Record<string, string>): string | null {
  return urlWithParams(url, {remove: SSL_VERIFY_PARAMS, set: params})
}
