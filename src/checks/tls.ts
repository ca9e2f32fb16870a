// The tls check: inspects the chain the server presents and judges it the way the app's
// node-postgres will (its effective ssl options, Node's CA stores, its identity check).
// The probe reads the chain without verifying and closes before any credential is sent.
// Data only: the words of every outcome are in src/catalogue/tls.ts.
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
} from '../catalogue/tls.js'
import type {TlsFacts} from '../core/facts.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {Check, CheckContext} from './types.js'
import {
  DEFAULT_PORT,
  VERIFY_FULL_ALIASES,
  isPostgresUrl,
  isUnixSocketHost,
  maskUrlPassword,
} from '../config/connection-string.js'
import {targetOf} from '../config/target.js'
import type {Provenance} from '../config/types.js'
import type {NoTlsError} from '../models/drivers/types.js'
import {readGuardedText} from '../core/files.js'

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

export const tlsCheck: Check = {
  id: 'tls',
  title: 'TLS certificate chain',
  requires: ['postgres'],
  provides: ['tls'],
  uses: ['postgres', 'tcp', 'dns'],
  run,
}

async function run(ctx: CheckContext): Promise<CheckOutcome> {
  let pgConfig: ClientConfig
  let view: SslView
  let urlParser: string | undefined
  let nodeTlsNotLoaded: boolean
  try {
    const r = targetOf(ctx).pgClient()
    pgConfig = r.config
    urlParser = r.urlParser
    nodeTlsNotLoaded = r.nodeTlsNotLoaded === true
    const ssl = pgConfig.ssl
    const obj = (ssl && typeof ssl === 'object' ? ssl : {}) as SslObject
    const negotiation =
      (pgConfig as {sslnegotiation?: string}).sslnegotiation ?? ctx.config.fields.sslnegotiation?.value
    view = {
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
  } catch (error) {
    const err = error as Error & {code?: string}
    return skip(tlsSays.cannotBuild({errorCode: err.code ?? null}), {error: err.message})
  }

  const host = pgConfig.host ?? 'localhost'
  if (isUnixSocketHost(host)) return skip(tlsSays.unixSocket(), {host})

  const pgFacts = ctx.facts.postgres
  let address = pgFacts?.address
  let port = pgFacts?.port ?? pgConfig.port ?? DEFAULT_PORT
  if (!address && view.direct) {
    const reachable = ctx.facts.tcp?.reachable[0] ?? (ctx.facts.dns?.addresses[0] as {address: string} | undefined)
    address = reachable?.address
    port = ctx.facts.tcp?.port ?? port
  }
  if (!address) return skip(tlsSays.noAnswer(), {})

  const baseEvidence: Evidence = {
    address,
    port,
    ssl: tlsEvidence.ssl({...view.off, used: view.used, verifies: view.verifies}),
    sslSetting: tlsEvidence.sslSetting(view.source?.label ?? null),
    negotiation: tlsEvidence.negotiation(view.direct),
    ...(urlParser ? {modelled: urlParser} : {}),
  }

  if (!view.direct && pgFacts && pgFacts.answer === 'N') {
    setFacts(ctx, {
      used: view.used,
      offered: false,
      verifies: view.verifies,
      ...(view.used ? {failureCode: 'TLS_NOT_SUPPORTED'} : {}),
    })
    if (!view.used) return skip(tlsSays.notOfferedNotAsked(), baseEvidence)
    if (view.fallback) return fellBack(ctx, view, baseEvidence)
    return TLS_NOT_SUPPORTED.emit(notSupported(ctx, view, 'N'), baseEvidence)
  }

  // identity the app checks: pg sets servername = host for names; for IP literals it keeps ssl.servername
  const net = await import('node:net')
  const hostIsIp = net.isIP(host) !== 0
  const servername = hostIsIp ? view.obj.servername : host
  const identity = servername || view.obj.host || host
  const customIdentity =
    typeof view.obj.checkServerIdentity === 'function'
      ? (view.obj.checkServerIdentity as (h: string, c: unknown) => Error | undefined)
      : undefined

  const {inspectTls} = await import('../probes/tls.js')
  const probe = await inspectTls({
    address,
    port,
    servername,
    timeoutMs: ctx.options.timeoutMs,
    direct: view.direct,
    minVersion: view.used ? (view.obj.minVersion as never) : undefined,
    maxVersion: view.used ? (view.obj.maxVersion as never) : undefined,
    ciphers: view.used ? view.obj.ciphers : undefined,
    ca: view.used && view.obj.ca ? (view.obj.ca as never) : undefined,
  })

  if (probe.outcome === 'not-supported') {
    setFacts(ctx, {
      used: view.used,
      offered: false,
      verifies: view.verifies,
      ...(view.used ? {failureCode: 'TLS_NOT_SUPPORTED'} : {}),
    })
    if (!view.used) return skip(tlsSays.notOfferedNotUsed(), baseEvidence)
    if (view.fallback && probe.answer === 'N') return fellBack(ctx, view, baseEvidence)
    return TLS_NOT_SUPPORTED.emit(notSupported(ctx, view, probe.answer), {...baseEvidence, answer: probe.answer})
  }
  if (probe.outcome !== 'handshake') {
    const end = {
      outcome: probe.outcome,
      stage: probe.outcome === 'timeout' ? probe.stage : null,
      timeoutMs: ctx.options.timeoutMs,
      errorCode: probe.outcome === 'timeout' ? null : probe.errorCode,
      error: probe.outcome === 'timeout' ? null : probe.reason,
      direct: view.direct,
    }
    setFacts(ctx, {
      used: view.used,
      offered: true,
      verifies: view.verifies,
      ...(view.used
        ? {failureCode: probe.outcome === 'timeout' ? 'TLS_HANDSHAKE_TIMEOUT' : 'TLS_HANDSHAKE_FAILED'}
        : {}),
    })
    const evidence: Evidence = {
      ...baseEvidence,
      outcome: probe.outcome,
      ...(probe.outcome !== 'timeout'
        ? {errorCode: probe.errorCode, error: probe.reason.trim()}
        : {stage: probe.stage}),
      ...(view.obj.minVersion ? {minVersion: view.obj.minVersion} : {}),
      ...(view.obj.maxVersion ? {maxVersion: view.obj.maxVersion} : {}),
      ...(view.obj.ciphers ? {ciphers: view.obj.ciphers} : {}),
    }
    if (!view.used) return skip(tlsSays.handshakeFailedUnused(end), evidence)
    return (probe.outcome === 'timeout' ? TLS_HANDSHAKE_TIMEOUT : TLS_HANDSHAKE_FAILED).emit(
      {
        ...end,
        address,
        port,
        sslFrom: view.source?.label ?? null,
        minVersion: view.obj.minVersion || null,
        maxVersion: view.obj.maxVersion || null,
        ciphers: view.obj.ciphers || null,
      },
      evidence,
    )
  }

  // ---- a chain to judge
  const x = await import('../tls/x509.js')
  const chain = probe.chain.map((c) => new x.X509Certificate(Buffer.from(c.derBase64, 'base64')))
  const store = await trustStoreFor(ctx, view)
  const trust = new x.TrustStore(store.anchors)
  const result = x.verifyChain(
    {
      chain,
      anchors: store.anchors,
      identity,
      checkServerIdentity: customIdentity as never,
      partialChain: view.obj.allowPartialTrustChain === true,
      soonDays: SOON_DAYS,
    },
    trust,
  )
  const onPath = new Set(result.pathTrusted ? result.pathDepths.filter((d) => d >= 0) : [])
  const rows = x.describeChain(chain, (c, depth) =>
    trust.has(c) ? 'trust anchor' : onPath.has(depth) ? 'verified' : 'no',
  )
  const {recognizeProvider} = await import('../providers/index.js')
  const provider = recognizeProvider({host, chain: rows.map((r) => ({subject: r.subject, issuer: r.issuer}))})

  const notes: TlsNote[] = [...store.notes]
  if (nodeTlsNotLoaded) {
    const tool = ctx.config.launch?.tool
    notes.push({kind: 'env-file-not-loaded', tool: tool ? {tool: tool.tool, modelled: tool.modelled} : null})
  }
  if (!view.used) notes.unshift({kind: 'tls-unused'})
  if (customIdentity) notes.push({kind: 'custom-identity', sslSetting: view.source?.label ?? null})
  const leaf = chain[0]
  const hostnameAside =
    leaf && result.problems[0]?.code !== 'TLS_HOSTNAME_MISMATCH' && !customIdentity
      ? x.identityMismatch(leaf, identity)
      : null
  const pgsslrootcert = ctx.env.PGSSLROOTCERT
  const pgsslrootcertWouldTrust = pgsslrootcert ? wouldTrust(x, chain, pgsslrootcert, result, view) : false
  if (pgsslrootcert) notes.push({kind: 'pgsslrootcert-ignored', file: pgsslrootcert})

  const evidence: Evidence = {
    ...baseEvidence,
    protocol: probe.protocol,
    cipher: probe.cipher?.standardName ?? probe.cipher?.name ?? null,
    ...(probe.alpn ? {alpn: probe.alpn} : {}),
    servername: servername ?? null,
    identityChecked: customIdentity ? 'custom checkServerIdentity' : identity,
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

  const primary = result.problems[0]
  const facts: TlsFacts = {
    used: view.used,
    offered: true,
    verifies: view.verifies,
    verifiedAsApp: result.ok,
    problems: result.problems.map((p) => p.code),
    protocol: probe.protocol ?? undefined,
    cipher: probe.cipher?.standardName ?? probe.cipher?.name,
    trustStore: store.name,
    chain: rows.map((r) => ({subject: r.subject, issuer: r.issuer, notAfter: r.notAfter, selfSigned: r.selfSigned})),
    validNames: result.validNames,
    ...(provider ? {provider: provider.id} : {}),
  }
  if (primary && view.used && view.verifies) facts.failureCode = primary.code
  setFacts(ctx, facts)

  const protocol = probe.protocol ?? null
  if (!view.used)
    return skip(
      tlsSays.unusedChain({protocol, problem: primary ? {code: primary.code, detail: primary.detail} : null}),
      evidence,
    )

  if (primary) {
    const entry = CHAIN_PROBLEM[primary.code as keyof typeof CHAIN_PROBLEM]
    const params = {
      ...view.off,
      caUrl: caUrl(ctx, view),
      sslInApp: view.origin === 'app',
      problem: primary,
      verifies: view.verifies,
      provider,
      validNames: result.validNames,
      identity,
      hostIsIp,
      hostFrom: ctx.config.fields.host?.source.label ?? null,
      pgsslrootcert: pgsslrootcert ?? null,
      pgsslrootcertWouldTrust,
      hostnameAside: Boolean(hostnameAside),
      rootSha256: rows.find((r) => r.selfSigned)?.sha256 ?? null,
    }
    return entry.emit(params, evidence, {status: view.verifies ? 'fail' : 'warn'})
  }
  if (result.warnings.length) {
    const warning = result.warnings[0]!
    return TLS_EXPIRING_SOON.emit(
      {warning, verifies: view.verifies, validNames: result.validNames, caLabel: store.caLabel ?? null, provider},
      evidence,
    )
  }
  const summary = tlsSays.verified({
    ...view.off,
    protocol,
    cipher: probe.cipher?.standardName ?? probe.cipher?.name ?? null,
    verifies: view.verifies,
    store: store.name,
    anchorSubject: result.anchor?.subject ?? null,
    customIdentity: customIdentity !== undefined,
    identity,
  })
  return {status: 'pass', code: null, summary, evidence, fix: null}
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
    if (file) anchors.push(...x.parsePemBundle(readGuardedText(file, 'CA bundle')))
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

/** TLS_NOT_SUPPORTED's params: the server's answer and where the requirement comes from. */
function notSupported(ctx: CheckContext, view: SslView, answer: string) {
  return {
    answer,
    sslFrom: view.source?.label ?? null,
    sslmode: ctx.config.fields.sslmode?.value ?? null,
    driver: view.driver ?? null,
  }
}

/** The server has no TLS and the app's driver goes on without it (postgres.js `prefer`): the login runs in plaintext. */
function fellBack(ctx: CheckContext, view: SslView, evidence: Evidence): CheckOutcome {
  setFacts(ctx, {used: false, offered: false, verifies: false})
  const {driver, ssl} = view.fallback!
  const setting = view.source?.label ?? null
  return skip(tlsSays.notOfferedFallsBack({driver, ssl, setting}), {...evidence, ssl: 'off', fellBack: {driver, ssl}})
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
