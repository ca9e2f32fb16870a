// The tls check: inspects the chain the server presents and judges it the way the app's
// node-postgres will (its effective ssl options, Node's CA stores, its identity check).
// The probe reads the chain without verifying and closes before any credential is sent.
// Data only: the words of every outcome are in src/catalogue/tls.ts.
import {postgresJsReadsCertParams} from '../models/drivers/postgres-js.js'
import fs from 'node:fs'
import type {ClientConfig} from 'pg'
import {
  TLS_EXPIRED,
  TLS_EXPIRING_SOON,
  TLS_HANDSHAKE_FAILED,
  TLS_HANDSHAKE_TIMEOUT,
  TLS_HOSTNAME_MISMATCH,
  TLS_NOT_SUPPORTED,
  TLS_NOT_YET_VALID,
  TLS_SELF_SIGNED_CERT,
  TLS_SELF_SIGNED_CHAIN,
  TLS_UNTRUSTED_ISSUER,
  tlsEvidence,
  tlsSays,
  type TlsNote,
  type TrustStorePart,
  trustProblemMessage,
  type VerifyOff,
  tlsEntries,
} from '../catalogue/tls.js'
import {providerInfo, type ProviderInfo} from '../catalogue/providers.js'
import type {TlsFacts} from '../core/facts.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {
  DEFAULT_PORT,
  VERIFY_FULL_ALIASES,
  isPostgresUrl,
  isUnixSocketHost,
  maskUrlPassword,
} from '../config/connection-string.js'
import {targetOf} from '../config/target.js'
import type {Provenance} from '../config/types.js'
import type {ReadingModelled} from '../config/pg-config.js'
import type {LaunchModelled} from '../config/launch.js'
import type {NoTlsError} from '../models/drivers/types.js'
import type {TlsProbeResult} from '../probes/tls.js'
import type {ChainRow, VerifyResult} from '../tls/x509.js'
import {FileReadError, readGuardedText} from '../core/files.js'

declare module '../core/facts.js' {
  interface Facts {
    tls?: TlsFacts
  }
}

const SOON_DAYS = 30

type SslObject = Exclude<ClientConfig['ssl'], boolean | undefined> & {
  ca?: unknown
  rejectUnauthorized?: boolean
  checkServerIdentity?: unknown
  servername?: string
  host?: string
  minVersion?: string
  maxVersion?: string
  ciphers?: string
  allowPartialTrustChain?: boolean
}

interface SslView {
  used: boolean
  obj: SslObject
  verifies: boolean
  /** Where the effective ssl setting came from. */
  source?: Provenance
  origin: string
  direct: boolean
  /** What turns verification off, when it is off (the catalogue words it). */
  off: VerifyOff
  /** The app's driver goes on without TLS when the server answers N (postgres.js `prefer`). */
  fallback?: {driver: string; ssl: string}
  /** The app's driver (not node-postgres) and its error when the server offers no TLS. */
  driver?: {driver: string; error: NoTlsError}
}

/** The catalogue entry of each chain problem the x509 model reports. */
const CHAIN_PROBLEM = {
  TLS_SELF_SIGNED_CHAIN,
  TLS_SELF_SIGNED_CERT,
  TLS_UNTRUSTED_ISSUER,
  TLS_HOSTNAME_MISMATCH,
  TLS_EXPIRED,
  TLS_NOT_YET_VALID,
}

export const tlsCheck: RegisteredCheck<'tls'> = {
  id: 'tls',
  title: tlsSays.title(),
  establishes: tlsSays.establishes(),
  codes: [tlsEntries],
  requires: ['postgres'],
  provides: ['tls'],
  uses: ['postgres', 'tcp', 'dns'],
  run,
}

async function run(ctx: CheckContext): Promise<CheckOutcome> {
  const seen = await gather(ctx)
  if (seen.end === 'skip') return skip(seen.summary, seen.evidence)
  const {facts, outcome} = evaluate(seen)
  setFacts(ctx, facts)
  return outcome
}

// ------------------------------------------------------------------------------ gather

/** The app's side: its ssl settings, where it connects, the identity it checks, what the fixes name. */
interface AppSide {
  view: SslView
  host: string
  address: string
  port: number
  /** which URL parser the app's pg config was modelled with, when it matters */
  urlParser?: ReadingModelled
  /** NODE_TLS_REJECT_UNAUTHORIZED=0 is in the env file the tool's process does not load */
  nodeTlsNotLoaded: boolean
  hostIsIp: boolean
  /** the SNI name the app sends */
  servername: string | undefined
  /** the name the app checks the certificate against */
  identity: string
  customIdentity: ((h: string, c: unknown) => Error | undefined) | undefined
  timeoutMs: number
  /** what the params of a failure name: the sslmode, where host is set, the URL a CA belongs in… */
  sslmode: string | null
  hostFrom: string | null
  caUrl: ReturnType<typeof caUrl>
  launchTool: {tool: string; modelled: LaunchModelled} | null
  pgsslrootcert: string | null
  /** the app's driver when it is not node-postgres ("postgres.js 3.4.7", "prisma-engine 6.2.0") */
  client: string | null
  /** that driver sends sslrootcert to the server instead of reading it (postgres.js 3.x) */
  noRootcertParam: boolean
}

/** The chain the server presented, judged the way the app's node-postgres judges it. */
interface ChainSeen {
  probe: Extract<TlsProbeResult, {outcome: 'handshake'}>
  store: StoreView
  result: VerifyResult
  rows: ChainRow[]
  provider: ProviderInfo | null
  /** the certificate does not name the identity either (behind another first problem) */
  hostnameAside: string | null
  pgsslrootcertWouldTrust: boolean
}

/** What the check found: a skip before any server look, no TLS, a failed handshake, or a chain. */
type Seen =
  | {end: 'skip'; summary: string; evidence: Evidence}
  /** the server answered N: to the postgres check's SSLRequest, or to the probe's */
  | {end: 'no-tls'; app: AppSide; answer: string; by: 'postgres' | 'probe'}
  | {end: 'handshake-failed'; app: AppSide; probe: Exclude<TlsProbeResult, {outcome: 'handshake' | 'not-supported'}>}
  | {end: 'chain'; app: AppSide; chain: ChainSeen}

/** Everything the verdict needs: the app's settings, the server's answer, the chain and the CA store. */
async function gather(ctx: CheckContext): Promise<Seen> {
  const app = await appSide(ctx)
  if ('end' in app) return app
  if (!app.view.direct && ctx.facts.postgres?.answer === 'N') return {end: 'no-tls', app, answer: 'N', by: 'postgres'}
  const {view} = app
  const {inspectTls} = await import('../probes/tls.js')
  const probe = await inspectTls({
    address: app.address,
    port: app.port,
    servername: app.servername,
    timeoutMs: app.timeoutMs,
    direct: view.direct,
    minVersion: view.used ? (view.obj.minVersion as never) : undefined,
    maxVersion: view.used ? (view.obj.maxVersion as never) : undefined,
    ciphers: view.used ? view.obj.ciphers : undefined,
    ca: view.used && view.obj.ca ? (view.obj.ca as never) : undefined,
  })
  if (probe.outcome === 'not-supported') return {end: 'no-tls', app, answer: probe.answer, by: 'probe'}
  if (probe.outcome !== 'handshake') return {end: 'handshake-failed', app, probe}
  return {end: 'chain', app, chain: await judgeChain(ctx, app, probe)}
}

/** The app's ssl settings as node-postgres builds them, and the server address the earlier checks found. */
async function appSide(ctx: CheckContext): Promise<AppSide | Extract<Seen, {end: 'skip'}>> {
  let pgConfig: ClientConfig
  let view: SslView
  let urlParser: ReadingModelled | undefined
  let nodeTlsNotLoaded: boolean
  try {
    const r = targetOf(ctx).pgClient()
    pgConfig = r.config
    urlParser = r.urlParser
    nodeTlsNotLoaded = r.nodeTlsNotLoaded === true
    view = sslView(ctx, r)
  } catch (error) {
    const err = error as Error & {code?: string}
    return {end: 'skip', summary: tlsSays.cannotBuild({errorCode: err.code ?? null}), evidence: {error: err.message}}
  }

  const host = pgConfig.host ?? 'localhost'
  if (isUnixSocketHost(host)) return {end: 'skip', summary: tlsSays.unixSocket(), evidence: {host}}

  const pgFacts = ctx.facts.postgres
  let address = pgFacts?.address
  let port = pgFacts?.port ?? pgConfig.port ?? DEFAULT_PORT
  if (!address && view.direct) {
    const reachable = ctx.facts.tcp?.reachable[0] ?? (ctx.facts.dns?.addresses[0] as {address: string} | undefined)
    address = reachable?.address
    port = ctx.facts.tcp?.port ?? port
  }
  if (!address) return {end: 'skip', summary: tlsSays.noAnswer(), evidence: {}}

  // identity the app checks: pg sets servername = host for names; for IP literals it keeps ssl.servername
  const net = await import('node:net')
  const hostIsIp = net.isIP(host) !== 0
  const servername = hostIsIp ? view.obj.servername : host
  const tool = ctx.config.launch?.tool
  return {
    view,
    host,
    address,
    port,
    ...(urlParser ? {urlParser} : {}),
    nodeTlsNotLoaded,
    hostIsIp,
    servername,
    identity: servername || view.obj.host || host,
    customIdentity:
      typeof view.obj.checkServerIdentity === 'function'
        ? (view.obj.checkServerIdentity as (h: string, c: unknown) => Error | undefined)
        : undefined,
    timeoutMs: ctx.options.timeoutMs,
    sslmode: ctx.config.fields.sslmode?.value ?? null,
    hostFrom: ctx.config.fields.host?.source.label ?? null,
    caUrl: caUrl(ctx, view),
    launchTool: tool ? {tool: tool.tool, modelled: tool.modelled} : null,
    pgsslrootcert: ctx.env.PGSSLROOTCERT ?? null,
    client: appClient(ctx),
    noRootcertParam: noRootcertParam(ctx),
  }
}

/** The app's driver sends sslrootcert to the server instead of reading it (postgres.js 3.x). */
function noRootcertParam(ctx: CheckContext): boolean {
  const d = ctx.config.stack?.driver
  return d?.name === 'postgres.js' && !postgresJsReadsCertParams(d.version)
}

function appClient(ctx: CheckContext): string | null {
  const d = ctx.config.stack?.driver
  return d?.name && d.name !== 'node-postgres' ? `${d.name} ${d.version}` : null
}

/** The effective ssl options of the app's pg config, and where they come from. */
function sslView(ctx: CheckContext, r: ReturnType<ReturnType<typeof targetOf>['pgClient']>): SslView {
  const ssl = r.config.ssl
  const obj = (ssl && typeof ssl === 'object' ? ssl : {}) as SslObject
  const negotiation = (r.config as {sslnegotiation?: string}).sslnegotiation ?? ctx.config.fields.sslnegotiation?.value
  return {
    used: Boolean(ssl),
    obj,
    verifies: obj.rejectUnauthorized !== false,
    source: r.sslSource,
    origin: r.sslOrigin,
    direct: negotiation === 'direct',
    ...(r.sslFallback ? {fallback: r.sslFallback} : {}),
    ...(r.noTlsError ? {driver: r.noTlsError} : {}),
    off: {
      offByEnv: r.verifyOffByEnv === true,
      offByEnvInProcess: process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0',
      sslFrom: r.sslSource?.label ?? null,
    },
  }
}

/** The presented chain against the app's CA store and identity check (the x509 model). */
async function judgeChain(
  ctx: CheckContext,
  app: AppSide,
  probe: Extract<TlsProbeResult, {outcome: 'handshake'}>,
): Promise<ChainSeen> {
  const x = await import('../tls/x509.js')
  const chain = probe.chain.map((c) => new x.X509Certificate(Buffer.from(c.derBase64, 'base64')))
  const store = await trustStoreFor(ctx, app.view)
  const trust = new x.TrustStore(store.anchors)
  const result = x.verifyChain(
    {
      chain,
      anchors: store.anchors,
      identity: app.identity,
      checkServerIdentity: app.customIdentity as never,
      partialChain: app.view.obj.allowPartialTrustChain === true,
      soonDays: SOON_DAYS,
    },
    trust,
  )
  const onPath = new Set(result.pathTrusted ? result.pathDepths.filter((d) => d >= 0) : [])
  const rows = x.describeChain(chain, (c, depth) =>
    trust.has(c) ? 'trust anchor' : onPath.has(depth) ? 'verified' : 'no',
  )
  const {recognizeProvider} = await import('../providers/index.js')
  const match = recognizeProvider({host: app.host, chain: rows.map((r) => ({subject: r.subject, issuer: r.issuer}))})
  const provider = match ? providerInfo(match) : null
  const leaf = chain[0]
  const hostnameAside =
    leaf && result.problems[0]?.code !== 'TLS_HOSTNAME_MISMATCH' && !app.customIdentity
      ? x.identityMismatch(leaf, app.identity)
      : null
  const pgsslrootcertWouldTrust = app.pgsslrootcert ? wouldTrust(x, chain, app.pgsslrootcert, result, app.view) : false
  return {probe, store, result, rows, provider, hostnameAside, pgsslrootcertWouldTrust}
}

// ------------------------------------------------------------------------------ evaluate

/** Pure: the verdict on what the check found, and the facts it hands to later checks. */
function evaluate(seen: Exclude<Seen, {end: 'skip'}>): {facts: TlsFacts; outcome: CheckOutcome} {
  const {app} = seen
  const {view} = app
  const baseEvidence: Evidence = {
    address: app.address,
    port: app.port,
    ssl: tlsEvidence.ssl({...view.off, used: view.used, verifies: view.verifies}),
    sslSetting: tlsEvidence.sslSetting(view.source?.label ?? null),
    negotiation: tlsEvidence.negotiation(view.direct),
    ...(app.urlParser ? {modelled: tlsEvidence.modelled(app.urlParser)} : {}),
  }
  if (seen.end === 'no-tls') return noTls(app, seen.answer, seen.by, baseEvidence)
  if (seen.end === 'handshake-failed') return handshakeFailed(app, seen.probe, baseEvidence)
  return chainVerdict(app, seen.chain, baseEvidence)
}

/** The server offers no TLS (it answered N, or another byte). */
function noTls(
  app: AppSide,
  answer: string,
  by: 'postgres' | 'probe',
  baseEvidence: Evidence,
): {facts: TlsFacts; outcome: CheckOutcome} {
  const {view} = app
  const facts: TlsFacts = {
    used: view.used,
    offered: false,
    verifies: view.verifies,
    ...(view.used ? {failureCode: 'TLS_NOT_SUPPORTED'} : {}),
  }
  if (!view.used)
    return {
      facts,
      outcome: skip(by === 'postgres' ? tlsSays.notOfferedNotAsked() : tlsSays.notOfferedNotUsed(), baseEvidence),
    }
  if (view.fallback && answer === 'N') return fellBack(view, baseEvidence)
  const params = {answer, sslFrom: view.source?.label ?? null, sslmode: app.sslmode, driver: view.driver ?? null}
  const evidence = by === 'postgres' ? baseEvidence : {...baseEvidence, answer}
  return {facts, outcome: TLS_NOT_SUPPORTED.emit(params, evidence)}
}

/** The handshake did not complete: no shared version or cipher, not TLS, a timeout. */
function handshakeFailed(
  app: AppSide,
  probe: Extract<Seen, {end: 'handshake-failed'}>['probe'],
  baseEvidence: Evidence,
): {facts: TlsFacts; outcome: CheckOutcome} {
  const {view} = app
  const reason = probe.outcome === 'timeout' ? null : 'ended' in probe ? tlsSays.peerEnded(probe.ended) : probe.reason
  const end = {
    outcome: probe.outcome,
    stage: probe.outcome === 'timeout' ? probe.stage : null,
    timeoutMs: app.timeoutMs,
    errorCode: probe.outcome === 'timeout' ? null : probe.errorCode,
    error: reason,
    direct: view.direct,
  }
  const facts: TlsFacts = {
    used: view.used,
    offered: true,
    verifies: view.verifies,
    ...(view.used ? {failureCode: probe.outcome === 'timeout' ? 'TLS_HANDSHAKE_TIMEOUT' : 'TLS_HANDSHAKE_FAILED'} : {}),
  }
  const evidence: Evidence = {
    ...baseEvidence,
    outcome: probe.outcome,
    ...(probe.outcome !== 'timeout' ? {errorCode: probe.errorCode, error: reason!.trim()} : {stage: probe.stage}),
    ...(view.obj.minVersion ? {minVersion: view.obj.minVersion} : {}),
    ...(view.obj.maxVersion ? {maxVersion: view.obj.maxVersion} : {}),
    ...(view.obj.ciphers ? {ciphers: view.obj.ciphers} : {}),
  }
  if (!view.used) return {facts, outcome: skip(tlsSays.handshakeFailedUnused(end), evidence)}
  const params = {
    ...end,
    address: app.address,
    port: app.port,
    sslFrom: view.source?.label ?? null,
    minVersion: view.obj.minVersion || null,
    maxVersion: view.obj.maxVersion || null,
    ciphers: view.obj.ciphers || null,
  }
  const entry = probe.outcome === 'timeout' ? TLS_HANDSHAKE_TIMEOUT : TLS_HANDSHAKE_FAILED
  return {facts, outcome: entry.emit(params, evidence)}
}

/** The chain's verdict: a problem (fail when the app verifies, else warn), expiring soon, or verified. */
function chainVerdict(app: AppSide, seen: ChainSeen, baseEvidence: Evidence): {facts: TlsFacts; outcome: CheckOutcome} {
  const {view} = app
  const {probe, store, result, rows, provider} = seen
  const evidence = chainEvidence(app, seen, baseEvidence)
  const primary = result.problems[0]
  const cipher = probe.cipher?.standardName ?? probe.cipher?.name
  const facts: TlsFacts = {
    used: view.used,
    offered: true,
    verifies: view.verifies,
    verifiedAsApp: result.ok,
    problems: result.problems.map((p) => p.code),
    protocol: probe.protocol ?? undefined,
    cipher,
    trustStore: store.name,
    chain: rows.map((r) => ({subject: r.subject, issuer: r.issuer, notAfter: r.notAfter, selfSigned: r.selfSigned})),
    validNames: result.validNames,
    ...(provider ? {provider: provider.id} : {}),
  }
  if (primary && view.used && view.verifies) facts.failureCode = primary.code

  const protocol = probe.protocol ?? null
  if (!view.used) {
    const problem = primary ? {code: primary.code, detail: primary.detail} : null
    return {facts, outcome: skip(tlsSays.unusedChain({protocol, problem}), evidence)}
  }
  if (primary) {
    const entry = CHAIN_PROBLEM[primary.code as keyof typeof CHAIN_PROBLEM]
    const params = {
      ...view.off,
      caUrl: app.caUrl,
      sslInApp: view.origin === 'app',
      problem: primary,
      verifies: view.verifies,
      provider,
      validNames: result.validNames,
      identity: app.identity,
      hostIsIp: app.hostIsIp,
      hostFrom: app.hostFrom,
      pgsslrootcert: app.pgsslrootcert,
      pgsslrootcertWouldTrust: seen.pgsslrootcertWouldTrust,
      hostnameAside: Boolean(seen.hostnameAside),
      rootSha256: rows.find((r) => r.selfSigned)?.sha256 ?? null,
      client: app.client,
      noRootcertParam: app.noRootcertParam,
    }
    return {facts, outcome: entry.emit(params, evidence, {status: view.verifies ? 'fail' : 'warn'})}
  }
  if (result.warnings.length) {
    const warning = result.warnings[0]!
    const params = {
      warning,
      verifies: view.verifies,
      validNames: result.validNames,
      caLabel: store.caLabel ?? null,
      provider,
    }
    return {facts, outcome: TLS_EXPIRING_SOON.emit(params, evidence)}
  }
  const summary = tlsSays.verified({
    ...view.off,
    protocol,
    cipher: cipher ?? null,
    verifies: view.verifies,
    store: store.name,
    anchorSubject: result.anchor?.subject ?? null,
    customIdentity: app.customIdentity !== undefined,
    identity: app.identity,
  })
  return {facts, outcome: {status: 'pass', code: null, summary, evidence, fix: null}}
}

/** The evidence of a chain: the handshake, the CA store, the chain table, its problems and the notes. */
function chainEvidence(app: AppSide, seen: ChainSeen, baseEvidence: Evidence): Evidence {
  const {view} = app
  const {probe, store, result, rows, provider, hostnameAside} = seen
  const notes: TlsNote[] = [...store.notes]
  if (app.nodeTlsNotLoaded) notes.push({kind: 'env-file-not-loaded', tool: app.launchTool})
  if (!view.used) notes.unshift({kind: 'tls-unused'})
  if (app.customIdentity) notes.push({kind: 'custom-identity', sslSetting: view.source?.label ?? null})
  if (app.pgsslrootcert) notes.push({kind: 'pgsslrootcert-ignored', file: app.pgsslrootcert})
  return {
    ...baseEvidence,
    protocol: probe.protocol,
    cipher: probe.cipher?.standardName ?? probe.cipher?.name ?? null,
    ...(probe.alpn ? {alpn: probe.alpn} : {}),
    servername: app.servername ?? null,
    identityChecked: app.customIdentity ? 'custom checkServerIdentity' : app.identity,
    trustStore: store.name,
    trustAnchors: store.anchors.length,
    chain: rows,
    validFor: result.validNames,
    ...(result.anchor ? {verifiedBy: result.anchor.subject} : {}),
    ...(result.problems.length
      ? {
          problems: result.problems.map((p) => ({
            code: p.code,
            nodeError: p.nodeError,
            message: trustProblemMessage(p.detail),
          })),
        }
      : {}),
    ...(result.warnings.length ? {warnings: result.warnings.map((p) => trustProblemMessage(p.detail))} : {}),
    ...(hostnameAside ? {alsoHostnameMismatch: hostnameAside} : {}),
    ...(provider ? {provider: provider.name, providerRecognizedBy: provider.recognizedBy} : {}),
    ...(notes.length ? {notes: tlsEvidence.notes(notes)} : {}),
  }
}

// ------------------------------------------------------------------------------ helpers

function skip(summary: string, evidence: Evidence): CheckOutcome {
  return {status: 'skip', code: null, summary, evidence, fix: null}
}

function setFacts(ctx: CheckContext, facts: TlsFacts): void {
  ctx.facts.tls = facts
}

interface StoreView {
  anchors: import('node:crypto').X509Certificate[]
  /** The store in words (the evidence's trustStore, the pass summary). */
  name: string
  notes: TlsNote[]
  /** Where the app's own CA comes from, when it has one. */
  caLabel?: string
}

/** The CA store the app's Node process uses for this connection. */
async function trustStoreFor(ctx: CheckContext, view: SslView): Promise<StoreView> {
  const x = await import('../tls/x509.js')
  const notes: TlsNote[] = []
  if (view.used && view.obj.ca !== undefined && view.obj.ca !== null && view.obj.ca !== '') {
    const anchors = x.parsePemBundle(view.obj.ca)
    const caLabel = caSourceLabel(ctx, view)
    if (ctx.env.NODE_EXTRA_CA_CERTS) notes.push({kind: 'extra-ca-ignored'})
    if (anchors.length === 0) notes.push({kind: 'ca-unparsable', caLabel})
    return {anchors, name: tlsEvidence.trustStore([{kind: 'config-ca', caLabel}]), notes, caLabel}
  }
  const tls = await import('node:tls')
  const nodeOptions = ctx.env.NODE_OPTIONS ?? ''
  const flags = nodeOptions.match(/--use-(?:openssl|bundled|system)-ca\b/g) ?? []
  const last = flags[flags.length - 1]
  const anchors: import('node:crypto').X509Certificate[] = []
  const parts: TrustStorePart[] = []
  if (last === '--use-openssl-ca' || last === '--use-system-ca') {
    const file = systemBundle(ctx.env)
    try {
      if (file) anchors.push(...x.parsePemBundle(readGuardedText(file, 'CA bundle')))
    } catch (error) {
      // a FIFO, a device, a folder, a file over the limit: OpenSSL gets no CA from it and Node goes on without
      // one (no error at start-up); the chain is verified as it would be, without these anchors
      if (!(error instanceof FileReadError)) throw error
      notes.push({kind: 'system-ca-unreadable', file: file!, reason: error.reason})
    }
    parts.push({kind: 'system', flag: last, file})
    if (last === '--use-system-ca') anchors.push(...x.parsePemBundle([...tls.rootCertificates]))
  } else {
    anchors.push(...x.parsePemBundle([...tls.rootCertificates]))
    parts.push({kind: 'bundled'})
  }
  const extra = ctx.env.NODE_EXTRA_CA_CERTS
  if (extra) {
    try {
      const certs = x.parsePemBundle(readGuardedText(extra, 'certificate'))
      anchors.push(...certs)
      parts.push({kind: 'extra-ca-certs', file: extra, count: certs.length})
      if (process.env.NODE_EXTRA_CA_CERTS !== extra) notes.push({kind: 'extra-ca-too-late'})
    } catch (error) {
      notes.push({kind: 'extra-ca-unreadable', file: extra, errorCode: (error as NodeJS.ErrnoException).code ?? null})
    }
  }
  return {anchors, name: tlsEvidence.trustStore(parts), notes}
}

function systemBundle(env: Record<string, string | undefined>): string | null {
  const candidates = [
    env.SSL_CERT_FILE,
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/pki/tls/certs/ca-bundle.crt',
    '/etc/ssl/cert.pem',
    '/etc/ssl/ca-bundle.pem',
  ]
  for (const c of candidates) if (c && fs.existsSync(c)) return c
  return null
}

function caSourceLabel(ctx: CheckContext, view: SslView): string {
  const rootcert = ctx.config.fields.sslrootcert
  if (view.origin === 'connection-string' && rootcert) return `sslrootcert=${rootcert.value} ← ${rootcert.source.label}`
  if (view.origin === 'app' && view.source) return `ssl.ca in ${view.source.label}`
  return view.source?.label ?? 'ssl.ca'
}

/** Would the certificates in `file` make the chain trusted (for the PGSSLROOTCERT hint)? */
function wouldTrust(
  x: typeof import('../tls/x509.js'),
  chain: import('node:crypto').X509Certificate[],
  file: string,
  result: import('../tls/x509.js').VerifyResult,
  view: SslView,
): boolean {
  if (
    result.ok ||
    !result.problems.some(
      (p) =>
        p.code === 'TLS_SELF_SIGNED_CHAIN' || p.code === 'TLS_UNTRUSTED_ISSUER' || p.code === 'TLS_SELF_SIGNED_CERT',
    )
  )
    return false
  if (view.obj.ca) return false
  try {
    const text = readFileSyncSafe(file)
    if (!text) return false
    const anchors = x.parsePemBundle(text)
    const r = x.verifyChain({chain, anchors, identity: null})
    return !r.problems.some(
      (p) =>
        p.code === 'TLS_SELF_SIGNED_CHAIN' || p.code === 'TLS_UNTRUSTED_ISSUER' || p.code === 'TLS_SELF_SIGNED_CERT',
    )
  } catch {
    return false
  }
}

function readFileSyncSafe(file: string): string | null {
  try {
    return readGuardedText(file, 'certificate')
  } catch {
    return null
  }
}

// ------------------------------------------------------------------------------ params

/** The server has no TLS and the app's driver goes on without it (postgres.js `prefer`): the login runs in plaintext. */
function fellBack(view: SslView, evidence: Evidence): {facts: TlsFacts; outcome: CheckOutcome} {
  const {driver, ssl} = view.fallback!
  const setting = view.source?.label ?? null
  return {
    facts: {used: false, offered: false, verifies: false},
    outcome: skip(tlsSays.notOfferedFallsBack({driver, ssl, setting}), {
      ...evidence,
      ssl: 'off',
      fellBack: {driver, ssl},
    }),
  }
}

/**
 * The app's URL (password masked) when a CA belongs in it: the ssl setting comes from it, or from a default;
 * with whether its own sslmode (as node-postgres reads the URL) already verifies and stays.
 */
function caUrl(
  ctx: CheckContext,
  view: SslView,
): {masked: string; source: Provenance; sslmodeVerifies: boolean} | null {
  const cs = ctx.config.connectionString
  if (
    cs &&
    (view.origin === 'connection-string' || view.origin === 'default' || view.origin === 'PGSSLMODE') &&
    isPostgresUrl(cs.value)
  ) {
    const masked = maskUrlPassword(cs.value.trim()) ?? cs.value.trim()
    const mode = targetOf(ctx).urlParams?.sslmode
    const sslmodeVerifies =
      mode !== undefined &&
      mode !== 'prefer' &&
      (mode === 'verify-full' || (VERIFY_FULL_ALIASES as readonly string[]).includes(mode))
    return {masked, source: cs.source, sslmodeVerifies}
  }
  return null
}
