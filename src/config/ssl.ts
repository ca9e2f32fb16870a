// Effective SSL settings, computed twice from the same inputs: as node-postgres
// will use them and as libpq (psql) will. No file is read here (the only
// question asked of the disk, "does ~/.postgresql/root.crt exist", goes through
// the injected `fileExists`), so a missing certificate file is a verdict for the
// ssl-config check, never an exception.
//
// The node-postgres half takes the URL's ssl value from the parse() of the
// pg-connection-string the app really uses (SslInput.parse: config/url-parser.ts
// resolves it — knex's pinned copy for a knex string, the app's pg's otherwise,
// db-doctor's own only where it stands in for one that is not installed), run on
// the URL's query parameters with its certificate files left unread and its
// deprecation warning silenced (parseWithoutReading). What follows is modelled by
// hand as pg 8 does it: ConnectionParameters (ssl undefined → PGSSLMODE, 'true',
// 'no-verify', sslnegotiation=direct without ssl refused) + Connection.upgradeToSSL,
// below. The unit tests run the real pg code over a matrix, with each parser, and
// compare.
//
//   new pg.Client({connectionString, ssl})
//     → Object.assign({}, config, parse(connectionString))   // URL ssl params REPLACE the ssl object
//     → ssl === undefined ? PGSSLMODE : ssl                  // PGSSLMODE only when nobody set ssl
//     → tls.connect({rejectUnauthorized: NODE_TLS_REJECT_UNAUTHORIZED !== '0', ...ssl})
//
// sslmode prefer/require/verify-ca mean verify-full in node-postgres 8 unless the
// URL also says uselibpqcompat=true; libpq: prefer/require only encrypt, verify-ca
// skips the hostname, and a root certificate file that exists turns require
// (and prefer) into verify-ca.
import path from 'node:path'
import {
  LIBPQ_SSLMODES,
  PG_ENV_SSLMODES,
  SSL_FILE_PARAMS,
  SSL_PARAMS,
  isUrlConnectionString,
  keyValueParams,
  pgUrlParams,
} from './connection-string.js'
import {sslFromPgsslmode} from './pg-config.js'
import {knowsCompat, parseWithoutReading, unreadFile, withoutLibpqCompat, type Parse} from './url-parser.js'
import type {SslRefusal} from './ssl-refusal.js'
import type {Field, Provenance, ResolvedConfig} from './types.js'

export type {SslRefusal} from './ssl-refusal.js'

type Encrypt = 'no' | 'try' | 'yes'

interface SslSide {
  /** no: plaintext; try: SSL if the server offers it, else plaintext; yes: SSL or fail. */
  encrypt: Encrypt
  verifyChain: boolean
  verifyHostname: boolean
  /** Where the trusted CA certificates come from, in words. */
  caFrom: string
  /** The setting in effect, in words: "sslmode=require", "ssl: true", "default (no ssl)". */
  setting: string
  /** Label of where each setting came from. */
  sources: {encrypt: string; verify: string; ca: string}
  /** Set when this client refuses the configuration before connecting (the catalogue words it). */
  error?: SslRefusal
}

interface SslSetting {
  /** "sslmode=require", "rejectUnauthorized: false", "NODE_TLS_REJECT_UNAUTHORIZED=0". */
  setting: string
  /** Human label of where it came from. */
  source: string
  provenance?: Provenance
}

export interface CertFileRef {
  param: 'sslrootcert' | 'sslcert' | 'sslkey'
  /** As written. */
  path: string
  /** Absolute, as the reader resolves it. */
  resolved: string
  /** Who reads it. */
  reader: 'node-postgres' | 'libpq'
  source: string
  provenance?: Provenance
}

interface NodePgSsl extends SslSide {
  /** uselibpqcompat=true in the URL. */
  libpqCompat: boolean
  /** The sslmode node-postgres acts on (URL or PGSSLMODE), when one is in effect. */
  sslmode?: SslSetting & {value: string}
  /** Set when the connection string's ssl params replace the app's own ssl object. */
  replaced?: {
    /** URL params that caused the replacement: ["sslmode=require"]. */
    urlParams: string[]
    /** Keys of the app's ssl object that are lost: ["rejectUnauthorized", "ca"]. */
    lostKeys: string[]
    /** The app's ssl object disabled verification or brought its own CA/cert: losing it changes verification. */
    changesVerification: boolean
    objectSource: Provenance
    urlSource: Provenance
  }
  /**
   * Every setting that turns certificate verification off, effective ones only; NODE_TLS_REJECT_UNAUTHORIZED=0 is
   * listed also when an explicit rejectUnauthorized overrides it for node-postgres (`overridden`: it still turns
   * verification off for every other TLS connection of the process).
   */
  verificationDisabledBy: Array<SslSetting & {overridden?: true}>
}

interface LibpqSsl extends SslSide {
  sslmode: SslSetting & {value: string}
  rootCert?: {path: string; source: string; exists: boolean}
  /** sslmode=require with a root certificate file present: libpq then verifies the chain, as verify-ca does. */
  actsAsVerifyCa: boolean
}

export interface SslAnalysis {
  nodePg: NodePgSsl
  libpq: LibpqSsl
  /** Certificate/key files a client will read, with who reads them. */
  files: CertFileRef[]
}

export interface SslInput {
  connectionString?: Field<string>
  appSsl?: Field<unknown>
  fields: ResolvedConfig['fields']
  env: Record<string, string | undefined>
  cwd: string
  /** Home folder for libpq's ~/.postgresql/root.crt. */
  homeDir: string
  /** Only used for libpq's default root certificate file. */
  fileExists: (absPath: string) => boolean
  /** Folder relative cert paths resolve from for node-postgres (the app's working folder); defaults to cwd. */
  certBase?: string
  /**
   * The parse() of the pg-connection-string the app really uses for its URL (UrlParserModel.parse,
   * config/url-parser.ts): knex 3.x's pinned 2.6.2 for a knex string, the app's pg's otherwise. Whether it
   * knows uselibpqcompat, sslnegotiation or sslmode at all is its own answer.
   */
  parse: Parse
}

const NODE_CA = "Node's built-in CA list"

/** The ssl value pg-connection-string's parse() puts in the config, certificate files kept as paths. */
interface UrlSsl {
  /** Whether parse() sets config.ssl at all (then it replaces the app's ssl object). */
  present: boolean
  value: unknown
  error?: SslRefusal
  /** The sslnegotiation parse() puts in the config (a release that drops unknown parameters has none). */
  negotiation?: unknown
}

/** parse()'s ssl object with its unread certificate files as `{file}` and its no-op checkServerIdentity as 'noop'. */
interface UrlSslObject {
  rejectUnauthorized?: boolean
  checkServerIdentity?: 'noop'
  ca?: {file: string}
  cert?: {file: string}
  key?: {file: string}
}

/** The ssl value of parse() in the analysis' terms: files as `{file}`, a function as 'noop' (it is parse()'s). */
function sslValue(ssl: unknown): unknown {
  if (!ssl || typeof ssl !== 'object') return ssl
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(ssl)) {
    const file = unreadFile(v)
    out[k] = file !== undefined ? {file} : typeof v === 'function' ? 'noop' : v
  }
  return out as UrlSslObject
}

/**
 * What the app's pg-connection-string parse() (SslInput.parse) makes of the URL's query parameters, read as
 * pg-connection-string reads them (pgUrlParams): run on them alone, behind a fixed scheme and host (the rest of
 * the URL decides nothing about ssl, and a user name that does not decode would make parse() throw before it
 * reaches ssl), its certificate files left unread (parseWithoutReading). parse() refuses one thing: uselibpqcompat's
 * verify-ca without a CA, in its last step; the ssl object it had built by then is what the same parse() builds
 * without uselibpqcompat.
 */
function urlSsl(params: Record<string, string>, parse: Parse): UrlSsl {
  const url = `postgres://localhost/?${new URLSearchParams(params).toString()}`
  const files = SSL_FILE_PARAMS.map((k) => params[k]).filter((f): f is string => !!f)
  try {
    const config = parseWithoutReading(parse, url, files)
    return {
      present: Object.prototype.hasOwnProperty.call(config, 'ssl'),
      value: sslValue(config.ssl),
      ...(config.sslnegotiation !== undefined ? {negotiation: config.sslnegotiation} : {}),
    }
  } catch (error) {
    if (!(error instanceof Error && /\bsslmode=verify-ca\b/.test(error.message))) throw error
    const built = parseWithoutReading(withoutLibpqCompat(parse), url, files).ssl
    return {present: true, value: sslValue(built), error: {id: 'verify-ca-without-ca'}}
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'function') return 'function'
  if (Buffer.isBuffer(v)) return '<Buffer>'
  if (Array.isArray(v)) return '[…]'
  if (typeof v === 'object') return '{…}'
  return String(v)
}

/** Plain-JSON description of an ssl object: key names and scalar values, never key/cert contents. */
export function describeSslObject(v: unknown): string {
  if (v === true || v === false || v === undefined || v === null) return `ssl: ${String(v)}`
  if (typeof v === 'string') return `ssl: ${JSON.stringify(v)}`
  if (typeof v !== 'object') return `ssl: ${describeValue(v)}`
  const parts: string[] = []
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'rejectUnauthorized' && typeof val === 'boolean') parts.push(`${k}: ${val}`)
    else if (k === 'ca' || k === 'cert' || k === 'key' || k === 'pfx' || k === 'passphrase') {
      const file =
        val && typeof val === 'object' && 'file' in (val as object) ? (val as {file: string}).file : undefined
      parts.push(file ? `${k}: <${file}>` : `${k}: <${k === 'passphrase' ? 'secret' : 'set'}>`)
    } else if (k === 'checkServerIdentity')
      parts.push(`${k}: ${val === 'noop' ? '() => undefined' : describeValue(val)}`)
    else parts.push(`${k}: ${typeof val === 'boolean' || typeof val === 'number' ? String(val) : describeValue(val)}`)
  }
  return `ssl: { ${parts.join(', ')} }`.replace('{  }', '{}')
}

function paramList(params: Record<string, string>): string[] {
  return SSL_PARAMS.filter((k) => Object.prototype.hasOwnProperty.call(params, k)).map((k) => `${k}=${params[k]}`)
}

function resolveFrom(base: string, p: string, home: string): string {
  const expanded = p.replace(/^~(?=\/)/, home)
  return path.isAbsolute(expanded) ? expanded : path.resolve(base, expanded)
}

/** The connection string as each client reads its parameters. */
interface CsParams {
  cs?: Field<string>
  /** its source's label ('' without a connection string) */
  csLabel: string
  /** a URL's query parameters as pg-connection-string reads them */
  urlParams: Record<string, string> | null
  /** a key=value string's parameters */
  kwParams: Record<string, string> | null
}

export function analyzeSsl(input: SslInput): SslAnalysis {
  const cs = input.connectionString
  const csIsUrl = cs !== undefined && isUrlConnectionString(cs.value)
  const p: CsParams = {
    ...(cs ? {cs} : {}),
    csLabel: cs?.source.label ?? '',
    urlParams: csIsUrl ? pgUrlParams(cs.value) : null,
    kwParams: cs !== undefined && !csIsUrl ? keyValueParams(cs.value) : null,
  }
  const files: CertFileRef[] = []
  const nodePg = nodePgSsl(input, p, files)
  const libpq = libpqSsl(input, p, files)
  return {nodePg, libpq, files}
}

// ---------- node-postgres ----------

/** The ssl value node-postgres ends with, and the setting that decided it (the URL, the app's ssl, PGSSLMODE). */
interface NodePgSetting {
  value: unknown
  /** the URL's ssl params decided it */
  fromUrl: boolean
  source: string
  setting: string
  sslmode?: NodePgSsl['sslmode']
  replaced?: NodePgSsl['replaced']
  error?: SslRefusal
  /** The sslnegotiation node-postgres reads: the parsed URL's, else the app's setting, else PGSSLNEGOTIATION. */
  negotiation?: unknown
}

/** Which ssl setting node-postgres takes: the URL's params replace the app's ssl object; PGSSLMODE only when neither sets it. */
function nodePgSetting(input: SslInput, p: CsParams, files: CertFileRef[]): NodePgSetting {
  const {env} = input
  const {cs, csLabel, urlParams} = p
  const fromUrl: UrlSsl = urlParams ? urlSsl(urlParams, input.parse) : {present: false, value: undefined}
  const negotiation = nodePgNegotiation(input, p, fromUrl)
  const withNegotiation = <T extends NodePgSetting>(s: T): T => (negotiation !== undefined ? {...s, negotiation} : s)
  const app = input.appSsl
  const appHas = app !== undefined && app.value !== undefined
  if (!fromUrl.present && appHas)
    return withNegotiation({
      value: app.value,
      fromUrl: false,
      source: app.source.label,
      setting: describeSslObject(app.value),
    })
  if (!fromUrl.present) {
    const known = env.PGSSLMODE && (PG_ENV_SSLMODES as readonly string[]).includes(env.PGSSLMODE)
    return withNegotiation({
      value: sslFromPgsslmode(env.PGSSLMODE),
      fromUrl: false,
      source: env.PGSSLMODE ? envLabel(env, 'PGSSLMODE') : 'node-postgres default (ssl: false)',
      setting: env.PGSSLMODE ? `PGSSLMODE=${env.PGSSLMODE}` : 'default (no ssl)',
      ...(known
        ? {sslmode: {value: env.PGSSLMODE!, setting: `PGSSLMODE=${env.PGSSLMODE}`, source: envLabel(env, 'PGSSLMODE')}}
        : {}),
    })
  }
  const params = urlParams!
  const chosen: NodePgSetting = {
    value: fromUrl.value,
    fromUrl: true,
    source: csLabel,
    setting: paramList(params).join('&'),
    ...(fromUrl.error ? {error: fromUrl.error} : {}),
  }
  if (params.sslmode)
    chosen.sslmode = {
      value: params.sslmode,
      setting: `sslmode=${params.sslmode}`,
      source: csLabel,
      provenance: cs!.source,
    }
  if (negotiation !== undefined) chosen.negotiation = negotiation
  if (appHas) chosen.replaced = replacedObject(app, params, cs!.source)
  for (const param of SSL_FILE_PARAMS) {
    const file = params[param]
    if (file)
      files.push({
        param,
        path: file,
        resolved: resolveFrom(input.certBase ?? input.cwd, file, input.homeDir),
        reader: 'node-postgres',
        source: csLabel,
        provenance: cs!.source,
      })
  }
  return chosen
}

/**
 * ConnectionParameters' `val('sslnegotiation', config, 'PGSSLNEGOTIATION')`: the config's (the URL as the app's
 * parse() left it, else a setting of the app's own that is not the connection string's), else the variable.
 */
function nodePgNegotiation(input: SslInput, p: CsParams, fromUrl: UrlSsl): unknown {
  if (fromUrl.negotiation) return fromUrl.negotiation
  const field = input.fields.sslnegotiation
  if (field?.value && !(p.cs && field.source.label === p.cs.source.label)) return field.value
  return input.env.PGSSLNEGOTIATION || undefined
}

/** The app's ssl object that the URL's ssl params replace: what is lost, and whether that changes verification. */
function replacedObject(
  app: Field<unknown>,
  urlParams: Record<string, string>,
  urlSource: Provenance,
): NonNullable<NodePgSsl['replaced']> {
  const obj = app.value
  const lostKeys = obj && typeof obj === 'object' ? Object.keys(obj as object) : [describeSslObject(obj)]
  const o = (obj && typeof obj === 'object' ? obj : {}) as Record<string, unknown>
  const changesVerification =
    o.rejectUnauthorized === false ||
    'ca' in o ||
    'cert' in o ||
    'key' in o ||
    'pfx' in o ||
    typeof o.checkServerIdentity === 'function' ||
    obj === false
  return {urlParams: paramList(urlParams), lostKeys, changesVerification, objectSource: app.source, urlSource}
}

/** node-postgres' side: whether it encrypts, verifies the chain and the host name, against which CAs. */
function nodePgSsl(input: SslInput, p: CsParams, files: CertFileRef[]): NodePgSsl {
  const {env} = input
  const nodeTlsOff = env.NODE_TLS_REJECT_UNAUTHORIZED === '0'
  const nodeTlsSetting: SslSetting = {
    setting: 'NODE_TLS_REJECT_UNAUTHORIZED=0',
    source: envLabel(env, 'NODE_TLS_REJECT_UNAUTHORIZED'),
  }
  const compat = p.urlParams?.uselibpqcompat === 'true' && knowsCompat(input.parse)
  const chosen = nodePgSetting(input, p, files)
  // ConnectionParameters
  let value = chosen.value
  if (value === 'true') value = true
  if (value === 'no-verify') value = {rejectUnauthorized: false}

  const disabled: SslSetting[] = []
  let nodePg: NodePgSsl
  if (!value) {
    nodePg = {
      encrypt: 'no',
      verifyChain: false,
      verifyHostname: false,
      caFrom: '-',
      setting: chosen.setting,
      sources: {encrypt: chosen.source, verify: chosen.source, ca: '-'},
      libpqCompat: compat,
      verificationDisabledBy: [],
    }
  } else {
    const obj = (typeof value === 'object' ? value : {}) as Record<string, unknown>
    const hasRU = Object.prototype.hasOwnProperty.call(obj, 'rejectUnauthorized')
    const reject = hasRU ? Boolean(obj.rejectUnauthorized) : !nodeTlsOff
    let verifySource = chosen.source
    if (!reject && hasRU) {
      const provenance = chosen.fromUrl ? p.cs!.source : input.appSsl?.source
      disabled.push({setting: verifyOffSetting(input, p, chosen, compat), source: chosen.source, provenance})
    } else if (!reject) {
      verifySource = nodeTlsSetting.source
      disabled.push(nodeTlsSetting)
    }
    const ca = nodePgCa(obj.ca, env, p.csLabel, chosen.source)
    nodePg = {
      encrypt: 'yes',
      verifyChain: reject,
      verifyHostname: reject && obj.checkServerIdentity === undefined,
      caFrom: reject ? ca.from : `${ca.from} (not checked)`,
      setting: chosen.setting,
      sources: {encrypt: chosen.source, verify: verifySource, ca: ca.source},
      libpqCompat: compat,
      verificationDisabledBy: disabled,
    }
  }
  if (chosen.sslmode) nodePg.sslmode = chosen.sslmode
  if (chosen.replaced) nodePg.replaced = chosen.replaced
  if (chosen.error) nodePg.error = chosen.error
  // ConnectionParameters throws "sslnegotiation=direct requires SSL to be enabled" (pg 8.23)
  else if (chosen.negotiation === 'direct' && !value) nodePg.error = {id: 'direct-without-ssl'}
  if (nodeTlsOff && !disabled.some((d) => d.setting === nodeTlsSetting.setting)) {
    // Still worth reporting: it turns off verification for every other TLS client in the process.
    nodePg.verificationDisabledBy.push({...nodeTlsSetting, overridden: true})
  }
  return nodePg
}

/** The setting that says rejectUnauthorized: false, as the user wrote it. */
function verifyOffSetting(input: SslInput, p: CsParams, chosen: NodePgSetting, compat: boolean): string {
  const urlParams = p.urlParams
  const app = input.appSsl
  if (chosen.fromUrl)
    return urlParams!.sslmode === 'no-verify'
      ? 'sslmode=no-verify'
      : urlParams!.sslmode && compat
        ? `sslmode=${urlParams!.sslmode}&uselibpqcompat=true`
        : urlParams!.ssl === 'no-verify'
          ? 'ssl=no-verify'
          : 'rejectUnauthorized: false'
  if (app !== undefined && app.value !== undefined)
    return app.value === 'no-verify' ? 'ssl: "no-verify"' : 'rejectUnauthorized: false'
  return 'PGSSLMODE=no-verify'
}

/** The CAs node-postgres trusts: sslrootcert's file, the app's ssl.ca, else Node's list (+ NODE_EXTRA_CA_CERTS). */
function nodePgCa(
  ca: unknown,
  env: SslInput['env'],
  csLabel: string,
  valueSource: string,
): {from: string; source: string} {
  if (ca && typeof ca === 'object' && 'file' in (ca as object))
    return {from: `sslrootcert=${(ca as {file: string}).file}`, source: csLabel}
  if (ca !== undefined) return {from: 'ssl.ca', source: valueSource}
  if (env.NODE_EXTRA_CA_CERTS)
    return {
      from: `${NODE_CA} + NODE_EXTRA_CA_CERTS=${env.NODE_EXTRA_CA_CERTS}`,
      source: envLabel(env, 'NODE_EXTRA_CA_CERTS'),
    }
  return {from: NODE_CA, source: 'default'}
}

// ---------- libpq ----------

type Picked = {value: string; source: string; provenance?: Provenance}

/** A libpq setting: the connection string's, else a field from elsewhere, else its environment variable. */
function libpqPick(
  input: SslInput,
  p: CsParams,
  param: 'sslmode' | 'sslrootcert' | 'sslcert' | 'sslkey',
  envVar: string,
): Picked | undefined {
  const libParams: Record<string, string> = p.urlParams ?? p.kwParams ?? {}
  const {cs} = p
  if (libParams[param] !== undefined && libParams[param] !== '')
    return {value: libParams[param], source: p.csLabel, provenance: cs?.source}
  const f = input.fields[param]
  if (f && f.value !== '' && !(cs && f.source.label === cs.source.label))
    return {value: f.value, source: f.source.label, provenance: f.source}
  const e = input.env[envVar]
  if (e) return {value: e, source: envLabel(input.env, envVar)}
  return undefined
}

/** libpq's sslmode (ssl=true in a URL is require), and what it refuses of the mode and the URL's params. */
function libpqMode(
  input: SslInput,
  p: CsParams,
): {lm: Picked | undefined; mode: string; modeSetting: LibpqSsl['sslmode']; error?: SslRefusal} {
  const {urlParams, csLabel, cs} = p
  const lm =
    urlParams?.ssl === 'true' && !urlParams.sslmode
      ? {value: 'require', source: csLabel, provenance: cs?.source}
      : libpqPick(input, p, 'sslmode', 'PGSSLMODE')
  const mode = lm?.value ?? 'prefer'
  const modeSetting: LibpqSsl['sslmode'] = lm
    ? {value: mode, setting: `sslmode=${mode}`, source: lm.source, provenance: lm.provenance}
    : {value: mode, setting: 'sslmode=prefer (default)', source: 'libpq default'}
  let error: SslRefusal | undefined
  if (!(LIBPQ_SSLMODES as readonly string[]).includes(mode)) error = {id: 'invalid-sslmode', mode}
  if (urlParams) {
    // libpq maps ssl=true to sslmode=require (JDBC compatibility) and rejects every other ssl value.
    const unknown = Object.keys(urlParams).filter(
      (k) => k === 'uselibpqcompat' || (k === 'ssl' && urlParams.ssl !== 'true'),
    )
    if (unknown.length > 0) error = {id: 'uri-params', params: unknown}
  }
  return {lm, mode, modeSetting, ...(error ? {error} : {})}
}

/** libpq's root certificate (sslrootcert, PGSSLROOTCERT, else ~/.postgresql/root.crt) and its client cert and key files. */
function libpqFiles(
  input: SslInput,
  p: CsParams,
  files: CertFileRef[],
): {rc: Picked | undefined; rootCert: NonNullable<LibpqSsl['rootCert']>} {
  const rc = libpqPick(input, p, 'sslrootcert', 'PGSSLROOTCERT')
  let rootCert: NonNullable<LibpqSsl['rootCert']>
  if (rc) {
    const abs = rc.value === 'system' ? 'system' : resolveFrom(input.cwd, rc.value, input.homeDir)
    rootCert = {path: rc.value, source: rc.source, exists: rc.value === 'system' ? true : input.fileExists(abs)}
    if (rc.value !== 'system')
      files.push({
        param: 'sslrootcert',
        path: rc.value,
        resolved: abs,
        reader: 'libpq',
        source: rc.source,
        provenance: rc.provenance,
      })
  } else {
    const def = path.join(input.homeDir, '.postgresql', 'root.crt')
    rootCert = {path: def, source: 'libpq default (~/.postgresql/root.crt)', exists: input.fileExists(def)}
  }
  for (const param of SSL_FILE_PARAMS.filter((x) => x !== 'sslrootcert')) {
    const v = libpqPick(input, p, param, param === 'sslcert' ? 'PGSSLCERT' : 'PGSSLKEY')
    if (v)
      files.push({
        param,
        path: v.value,
        resolved: resolveFrom(input.cwd, v.value, input.homeDir),
        reader: 'libpq',
        source: v.source,
        provenance: v.provenance,
      })
  }
  return {rc, rootCert}
}

/** libpq's side (psql): prefer/require only encrypt, verify-ca skips the host name, a root certificate file verifies. */
function libpqSsl(input: SslInput, p: CsParams, files: CertFileRef[]): LibpqSsl {
  const {lm, mode, modeSetting, error} = libpqMode(input, p)
  let libError = error
  const {rc, rootCert} = libpqFiles(input, p, files)
  const encrypt: Encrypt = mode === 'disable' ? 'no' : mode === 'allow' || mode === 'prefer' ? 'try' : 'yes'
  const verifyMode = mode === 'verify-ca' || mode === 'verify-full'
  const rootPresent = rootCert.exists
  const libVerifyChain = encrypt !== 'no' && (verifyMode || rootPresent || rootCert.path === 'system')
  if (verifyMode && !rootPresent && !libError) libError = {id: 'no-root-cert', mode, path: rootCert.path}
  if (
    rootCert.path === 'system' &&
    (LIBPQ_SSLMODES as readonly string[]).includes(mode) &&
    !mode.startsWith('verify-') &&
    !libError &&
    lm
  )
    libError = {id: 'weak-with-system', mode}
  const libpq: LibpqSsl = {
    encrypt,
    verifyChain: libVerifyChain,
    verifyHostname: encrypt !== 'no' && (mode === 'verify-full' || (rootCert.path === 'system' && !lm)),
    caFrom: libVerifyChain
      ? rootCert.path === 'system'
        ? 'system CA store (sslrootcert=system)'
        : rc
          ? `sslrootcert=${rootCert.path}`
          : rootCert.path
      : '-',
    setting: modeSetting.setting,
    actsAsVerifyCa: mode === 'require' && rootPresent,
    sources: {
      encrypt: modeSetting.source,
      verify:
        rootPresent && !verifyMode && encrypt !== 'no'
          ? `${modeSetting.source} + ${rootCert.source}`
          : modeSetting.source,
      ca: libVerifyChain ? rootCert.source : '-',
    },
    sslmode: modeSetting,
    rootCert,
  }
  if (libError) libpq.error = libError
  return libpq
}

function envLabel(env: Record<string, string | undefined>, name: string): string {
  void env
  return `${name} (environment)`
}
