// The tls check: inspects the chain the server presents and judges it the way the app's
// node-postgres will (its effective ssl options, Node's CA stores, its identity check).
// The probe reads the chain without verifying and closes before any credential is sent.
import fs from 'node:fs'
import type {ClientConfig} from 'pg'
import type {TlsFacts} from '../core/facts.js'
import type {Check, CheckContext, CheckOutcome, Evidence, Fix, Snippet} from '../core/types.js'
import type {Provenance} from '../config/types.js'
import {connectionStringSnippet} from './snippets.js'

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
  /** What turns verification off, in words, when it is off: "rejectUnauthorized: false, from …" or "NODE_TLS_REJECT_UNAUTHORIZED=0 …". */
  offBy: string
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
  const {resolvePgClientConfig} = await import('../config/pg-config.js')
  let pgConfig: ClientConfig
  let view: SslView
  let urlParser: string | undefined
  let nodeTlsNotLoaded = false
  try {
    const r = resolvePgClientConfig(ctx.config, ctx.env)
    pgConfig = r.config
    urlParser = r.urlParser
    nodeTlsNotLoaded = r.nodeTlsNotLoaded === true
    const ssl = pgConfig.ssl
    const obj = (ssl && typeof ssl === 'object' ? ssl : {}) as SslObject
    const negotiation = (pgConfig as {sslnegotiation?: string}).sslnegotiation ?? ctx.config.fields.sslnegotiation?.value
    view = {
      used: Boolean(ssl),
      obj,
      verifies: obj.rejectUnauthorized !== false,
      source: r.sslSource,
      origin: r.sslOrigin,
      direct: negotiation === 'direct',
      offBy: r.verifyOffByEnv
        ? `NODE_TLS_REJECT_UNAUTHORIZED=0 ${process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0' ? 'in the environment' : 'from the env file (it counts only when the app loads that file into process.env before connecting: dotenv in the app does, the knex CLI never does)'}; the ssl options do not set rejectUnauthorized, so Node's default follows the variable`
        : `rejectUnauthorized: false, from ${r.sslSource?.label ?? 'the ssl setting'}`,
    }
  } catch (error) {
    const err = error as Error & {code?: string}
    return skip(`Cannot build the TLS settings node-postgres would use (${err.code ?? 'error'}): the ssl-config check reports it.`, {error: err.message})
  }

  const host = pgConfig.host ?? 'localhost'
  if (host.startsWith('/')) return skip('The connection uses a Unix socket: TLS does not apply.', {host})

  const pgFacts = ctx.facts.postgres
  let address = pgFacts?.address
  let port = pgFacts?.port ?? pgConfig.port ?? 5432
  if (!address && view.direct) {
    const reachable = ctx.facts.tcp?.reachable[0] ?? (ctx.facts.dns?.addresses[0] as {address: string} | undefined)
    address = reachable?.address
    port = ctx.facts.tcp?.port ?? port
  }
  if (!address) return skip('No server answer to inspect: the postgres check established no TLS offer.', {})

  const settingLabel = view.source?.label ?? 'the default (no ssl setting)'
  const baseEvidence: Evidence = {
    address,
    port,
    ssl: view.used ? (view.verifies ? 'on, verified (rejectUnauthorized)' : `on, NOT verified (${view.offBy.split(';')[0]})`) : 'off',
    sslSetting: settingLabel,
    negotiation: view.direct ? 'direct (TLS first, ALPN postgresql)' : 'postgres (SSLRequest)',
    ...(urlParser ? {modelled: urlParser} : {}),
  }

  if (!view.direct && pgFacts && pgFacts.answer === 'N') {
    setFacts(ctx, {used: view.used, offered: false, verifies: view.verifies, ...(view.used ? {failureCode: 'TLS_NOT_SUPPORTED'} : {})})
    if (!view.used) {
      return skip('The server does not offer TLS and the config does not ask for it: the connection is unencrypted (the ssl-config check judges that).', baseEvidence)
    }
    return notSupported(ctx, view, baseEvidence, `The server answered 'N' to SSLRequest`)
  }

  // identity the app checks: pg sets servername = host for names; for IP literals it keeps ssl.servername
  const net = await import('node:net')
  const hostIsIp = net.isIP(host) !== 0
  const servername = hostIsIp ? view.obj.servername : host
  const identity = servername || view.obj.host || host
  const customIdentity = typeof view.obj.checkServerIdentity === 'function' ? (view.obj.checkServerIdentity as (h: string, c: unknown) => Error | undefined) : undefined

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
    setFacts(ctx, {used: view.used, offered: false, verifies: view.verifies, ...(view.used ? {failureCode: 'TLS_NOT_SUPPORTED'} : {})})
    if (!view.used) return skip('The server does not offer TLS; the config does not use it.', baseEvidence)
    return notSupported(ctx, view, {...baseEvidence, answer: probe.answer}, `The server answered '${probe.answer}' to SSLRequest`)
  }
  if (probe.outcome !== 'handshake') {
    const reason =
      probe.outcome === 'timeout'
        ? `no answer within ${ctx.options.timeoutMs} ms (${probe.stage})`
        : explainHandshakeError(probe.errorCode, probe.reason, view.direct)
    setFacts(ctx, {used: view.used, offered: true, verifies: view.verifies, ...(view.used ? {failureCode: 'TLS_HANDSHAKE_FAILED'} : {})})
    const evidence: Evidence = {
      ...baseEvidence,
      outcome: probe.outcome,
      ...(probe.outcome !== 'timeout' ? {errorCode: probe.errorCode, error: probe.reason.trim()} : {stage: probe.stage}),
      ...(view.obj.minVersion ? {minVersion: view.obj.minVersion} : {}),
      ...(view.obj.maxVersion ? {maxVersion: view.obj.maxVersion} : {}),
      ...(view.obj.ciphers ? {ciphers: view.obj.ciphers} : {}),
    }
    if (!view.used) return skip(`The config does not use TLS; a TLS handshake with the server failed anyway: ${reason}.`, evidence)
    return {
      status: 'fail',
      code: 'TLS_HANDSHAKE_FAILED',
      summary: `The TLS handshake with ${address}:${port} failed: ${reason}.`,
      evidence,
      fix: handshakeFix(view, probe.outcome === 'handshake-failed' ? probe.errorCode : null),
    }
  }

  // ---- a chain to judge
  const x = await import('../tls/x509.js')
  const chain = probe.chain.map((c) => new x.X509Certificate(Buffer.from(c.derBase64, 'base64')))
  const store = await trustStoreFor(ctx, view)
  const trust = new x.TrustStore(store.anchors)
  const result = x.verifyChain({
    chain,
    anchors: store.anchors,
    identity,
    checkServerIdentity: customIdentity as never,
    partialChain: view.obj.allowPartialTrustChain === true,
    soonDays: SOON_DAYS,
  }, trust)
  const onPath = new Set(result.pathTrusted ? result.pathDepths.filter((d) => d >= 0) : [])
  const rows = x.describeChain(chain, (c, depth) => (trust.has(c) ? 'trust anchor' : onPath.has(depth) ? 'verified' : 'no'))
  const {recognizeProvider} = await import('../providers/index.js')
  const provider = recognizeProvider({host, chain: rows.map((r) => ({subject: r.subject, issuer: r.issuer}))})

  const notes: string[] = [...store.notes]
  if (nodeTlsNotLoaded) {
    const tool = ctx.config.launch?.tool
    notes.push(`NODE_TLS_REJECT_UNAUTHORIZED=0 is only in the env file, which ${tool ? `${tool.tool}, as it is launched (${tool.modelled}),` : 'the migration tool'} does not load: its process verifies the certificate.`)
  }
  if (!view.used) notes.unshift('Your config does not use TLS: this is what node-postgres would see with ssl enabled and verified.')
  if (customIdentity) notes.push(`The identity check is replaced by the config's checkServerIdentity (${settingLabel}), e.g. verify-ca semantics.`)
  const leaf = chain[0]
  const hostnameAside = leaf && result.problems[0]?.code !== 'TLS_HOSTNAME_MISMATCH' && !customIdentity ? x.identityMismatch(leaf, identity) : null
  const pgsslrootcert = ctx.env.PGSSLROOTCERT
  const pgsslrootcertWouldTrust = pgsslrootcert ? wouldTrust(x, chain, pgsslrootcert, result, view) : false
  if (pgsslrootcert) {
    notes.push(`PGSSLROOTCERT=${pgsslrootcert} is set: psql and libpq read it, node-postgres ignores it.`)
  }

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
    ...(result.problems.length ? {problems: result.problems.map((p) => ({code: p.code, nodeError: p.nodeError, message: p.message}))} : {}),
    ...(result.warnings.length ? {warnings: result.warnings.map((p) => p.message)} : {}),
    ...(hostnameAside ? {alsoHostnameMismatch: hostnameAside} : {}),
    ...(provider ? {provider: provider.name, providerRecognizedBy: provider.recognizedBy} : {}),
    ...(notes.length ? {notes} : {}),
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

  if (!view.used) {
    const verdict = primary ? `would fail with ${primary.code} (${primary.message})` : 'would verify'
    return skip(`The config does not use TLS (the ssl-config check judges that). The server offers ${probe.protocol ?? 'TLS'}; with verification on, the chain ${verdict}.`, evidence)
  }

  if (primary) {
    const status = view.verifies ? 'fail' : 'warn'
    const consequence = view.verifies
      ? `node-postgres will refuse the connection with "${nodeMessage(primary.nodeError)}"`
      : `the app does not verify the certificate (${view.offBy}), so node-postgres connects anyway — unverified, open to interception`
    return {
      status,
      code: primary.code,
      summary: `${primary.message} Consequence: ${consequence}.`,
      evidence,
      fix: problemFix(ctx, view, primary, {result, rows, provider, identity, hostIsIp, host, pgsslrootcert, pgsslrootcertWouldTrust, hostnameAside}),
    }
  }
  if (result.warnings.length) {
    const w = result.warnings[0]!
    return {
      status: 'warn',
      code: 'TLS_EXPIRING_SOON',
      summary: `${w.message} After that, node-postgres ${view.verifies ? 'will refuse the connection ("certificate has expired")' : 'still connects (it does not verify), but the certificate is invalid'}.`,
      evidence,
      fix: {
        summary: w.depth === 0 ? 'Renew the server certificate before it expires.' : `Renew or replace the CA certificate "${w.subject}" before it expires.`,
        steps: [
          w.depth === 0
            ? 'Issue a new server certificate (same names: ' + (result.validNames.join(', ') || 'see the chain table') + ') and reload PostgreSQL (`SELECT pg_reload_conf()`): ssl_cert_file is re-read on reload.'
            : 'Get the renewed CA certificate and update the CA file the app trusts' + (store.caLabel ? ` (${store.caLabel})` : '') + '.',
          ...(provider ? [`${provider.name}: ${provider.caBundle.how}`] : []),
        ],
      },
    }
  }
  const how = view.verifies
    ? `verified against ${store.name}${result.anchor ? ` (anchor "${result.anchor.subject}")` : ''}${customIdentity ? ', identity by the config\'s own check' : `, valid for "${identity}"`}`
    : `not verified by the app (${view.offBy.split(';')[0]}), though the chain itself verifies`
  return {
    status: 'pass',
    code: null,
    summary: `${probe.protocol ?? 'TLS'} with ${probe.cipher?.standardName ?? probe.cipher?.name ?? 'an agreed cipher'}; the certificate chain is ${how}.`,
    evidence,
    fix: null,
  }
}

// ------------------------------------------------------------------------------ helpers

function skip(summary: string, evidence: Evidence): CheckOutcome {
  return {status: 'skip', code: null, summary, evidence, fix: null}
}

function setFacts(ctx: CheckContext, facts: TlsFacts): void {
  ctx.facts.tls = facts
}

const NODE_MESSAGES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: "Hostname/IP does not match certificate's altnames",
}

function nodeMessage(code: string): string {
  return NODE_MESSAGES[code] ?? code
}

interface StoreView {
  anchors: import('node:crypto').X509Certificate[]
  name: string
  notes: string[]
  /** Where the app's own CA comes from, when it has one. */
  caLabel?: string
}

/** The CA store the app's Node process uses for this connection. */
async function trustStoreFor(ctx: CheckContext, view: SslView): Promise<StoreView> {
  const x = await import('../tls/x509.js')
  const notes: string[] = []
  if (view.used && view.obj.ca !== undefined && view.obj.ca !== null && view.obj.ca !== '') {
    const anchors = x.parsePemBundle(view.obj.ca)
    const caLabel = caSourceLabel(ctx, view)
    if (ctx.env.NODE_EXTRA_CA_CERTS) notes.push('NODE_EXTRA_CA_CERTS is not used for this connection: an explicit ssl.ca replaces every default CA.')
    if (anchors.length === 0) notes.push(`The configured CA (${caLabel}) holds no parsable PEM certificate.`)
    return {anchors, name: `the CA the config supplies (${caLabel}; replaces Node's default CAs)`, notes, caLabel}
  }
  const tls = await import('node:tls')
  const nodeOptions = ctx.env.NODE_OPTIONS ?? ''
  const flags = nodeOptions.match(/--use-(?:openssl|bundled|system)-ca\b/g) ?? []
  const last = flags[flags.length - 1]
  const anchors: import('node:crypto').X509Certificate[] = []
  const parts: string[] = []
  if (last === '--use-openssl-ca' || last === '--use-system-ca') {
    const file = systemBundle(ctx.env)
    if (file) {
      anchors.push(...x.parsePemBundle(fs.readFileSync(file, 'utf8')))
      parts.push(`the system CA store (${file}, because NODE_OPTIONS has ${last})`)
    } else {
      parts.push(`the system CA store (NODE_OPTIONS has ${last}; no CA bundle file found)`)
    }
    if (last === '--use-system-ca') anchors.push(...x.parsePemBundle([...tls.rootCertificates]))
  } else {
    anchors.push(...x.parsePemBundle([...tls.rootCertificates]))
    parts.push("Node's bundled CAs")
  }
  const extra = ctx.env.NODE_EXTRA_CA_CERTS
  if (extra) {
    try {
      const certs = x.parsePemBundle(fs.readFileSync(extra, 'utf8'))
      anchors.push(...certs)
      parts.push(`NODE_EXTRA_CA_CERTS (${extra}, ${certs.length} certificate${certs.length === 1 ? '' : 's'})`)
      if (process.env.NODE_EXTRA_CA_CERTS !== extra) {
        notes.push('NODE_EXTRA_CA_CERTS only works when set before Node starts (shell, container env, `node --env-file`); setting it from dotenv inside the app is too late.')
      }
    } catch (error) {
      notes.push(`NODE_EXTRA_CA_CERTS=${extra} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): Node ignores it with a warning.`)
    }
  }
  return {anchors, name: parts.join(' + '), notes}
}

function systemBundle(env: Record<string, string | undefined>): string | null {
  const candidates = [env.SSL_CERT_FILE, '/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/ssl/ca-bundle.pem']
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
  if (result.ok || !result.problems.some((p) => p.code === 'TLS_SELF_SIGNED_CHAIN' || p.code === 'TLS_UNTRUSTED_ISSUER' || p.code === 'TLS_SELF_SIGNED_CERT')) return false
  if (view.obj.ca) return false
  try {
    const text = readFileSyncSafe(file)
    if (!text) return false
    const anchors = x.parsePemBundle(text)
    const r = x.verifyChain({chain, anchors, identity: null})
    return !r.problems.some((p) => p.code === 'TLS_SELF_SIGNED_CHAIN' || p.code === 'TLS_UNTRUSTED_ISSUER' || p.code === 'TLS_SELF_SIGNED_CERT')
  } catch {
    return false
  }
}

function readFileSyncSafe(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

// ------------------------------------------------------------------------------ fixes

function notSupported(ctx: CheckContext, view: SslView, evidence: Evidence, what: string): CheckOutcome {
  const label = view.source?.label ?? 'the ssl setting'
  const mode = ctx.config.fields.sslmode?.value
  return {
    status: 'fail',
    code: 'TLS_NOT_SUPPORTED',
    summary: `${what}: it does not accept TLS, but the config requires it (${label}). node-postgres fails with "The server does not support SSL connections".`,
    evidence,
    fix: {
      summary: 'Enable TLS on the server, or stop requiring it where the setting comes from.',
      steps: [
        'On the server: set ssl = on with ssl_cert_file and ssl_key_file in postgresql.conf, then reload (SELECT pg_reload_conf()).',
        `Or, only if the network path is trusted (same host, private network): change the setting at its source, ${label} (sslmode=disable / ssl: false).`,
        ...(mode === 'prefer' ? ["Note: node-postgres does not fall back to an unencrypted connection for sslmode=prefer the way libpq does."] : []),
      ],
      snippet: {language: 'ini', code: "# postgresql.conf\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'"},
    },
  }
}

function explainHandshakeError(code: string | null, message: string, direct = false): string {
  const c = code ?? ''
  if (direct && /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|ECONNRESET|EPIPE/.test(c)) {
    return `the server does not accept TLS at connection start (${c}): sslnegotiation=direct needs PostgreSQL 17 or later`
  }
  if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW|VERSION_TOO_HIGH/.test(c)) return `no TLS protocol version both sides accept (${c})`
  if (/NO_SHARED_CIPHER|HANDSHAKE_FAILURE|NO_CIPHER/.test(c)) return `no cipher suite both sides accept (${c})`
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|UNEXPECTED_DATA/.test(c)) return `the server did not speak TLS after accepting it (${c}): not a PostgreSQL TLS endpoint, or a proxy in the way`
  if (c === 'ECONNRESET' || c === 'EPIPE') return `the server closed the connection during the handshake (${c})`
  if (/ALPN|NO_APPLICATION_PROTOCOL/.test(c)) return `the server refused ALPN "postgresql" (${c})`
  return `${message}${c ? ` (${c})` : ''}`
}

function handshakeFix(view: SslView, code: string | null): Fix {
  const label = view.source?.label ?? 'the ssl setting'
  const limits = [view.obj.minVersion && `minVersion: '${view.obj.minVersion}'`, view.obj.maxVersion && `maxVersion: '${view.obj.maxVersion}'`, view.obj.ciphers && `ciphers: '${view.obj.ciphers}'`].filter(Boolean)
  const steps: string[] = []
  if (limits.length) steps.push(`The app limits TLS with ${limits.join(', ')} (${label}): remove or widen it to what the server supports.`)
  steps.push('Check the server side: ssl_min_protocol_version, ssl_max_protocol_version and ssl_ciphers in postgresql.conf (SHOW ssl_min_protocol_version;). Node 20 speaks TLSv1.2 and TLSv1.3 by default.')
  if (view.direct) steps.push('sslnegotiation=direct needs PostgreSQL 17 or later on the server (and a pooler/proxy that supports it); otherwise remove sslnegotiation=direct.')
  if (code && /WRONG_VERSION_NUMBER|UNEXPECTED_DATA|PACKET_LENGTH/.test(code)) steps.push('Make sure the host and port point at PostgreSQL itself (not an HTTP proxy or a load balancer terminating something else).')
  return {summary: 'Make the client and server agree on a TLS version and cipher.', steps}
}

interface ProblemContext {
  result: import('../tls/x509.js').VerifyResult
  rows: import('../tls/x509.js').ChainRow[]
  provider: import('../providers/index.js').ProviderInfo | null
  identity: string
  hostIsIp: boolean
  host: string
  pgsslrootcert?: string
  pgsslrootcertWouldTrust: boolean
  hostnameAside: string | null
}

/** Where to put a CA so node-postgres uses it: the URL the setting came from, or the app's ssl object. */
function caSnippet(ctx: CheckContext, view: SslView, file: string): {step: string; snippet: Snippet} {
  const cs = ctx.config.connectionString
  if (cs && (view.origin === 'connection-string' || view.origin === 'default' || view.origin === 'PGSSLMODE') && /^postgres(ql)?:\/\//i.test(cs.value.trim())) {
    const url = withSslParams(maskUrl(cs.value.trim()), file)
    return {
      step: `Add sslrootcert=/path/to/${file} to ${cs.source.label} (node-postgres reads the file into ssl.ca; it replaces Node's default CAs for this connection).`,
      snippet: connectionStringSnippet(cs.source, url),
    }
  }
  if (view.origin !== 'app') {
    return {
      step: `node-postgres takes no CA from the environment (PGSSLROOTCERT is ignored): put sslrootcert=/path/to/${file} in the connection string, or pass ssl: { ca } in the Pool/Client options.`,
      snippet: {language: 'js', code: `new pg.Pool({\n  // …\n  ssl: {ca: fs.readFileSync('/path/to/${file}', 'utf8')},\n})`},
    }
  }
  const where = view.source?.label ?? 'the Pool/Client options'
  return {
    step: `Set ssl.ca in ${where} (an sslrootcert in the connection string would replace this whole ssl object).`,
    snippet: {language: 'js', code: `ssl: {\n  ca: fs.readFileSync('/path/to/${file}', 'utf8'),\n}`},
  }
}

/** The URL with sslmode (kept when it verifies) and sslrootcert set, other params untouched. */
function withSslParams(u: string, file: string): string {
  const q = u.indexOf('?')
  const base = q < 0 ? u : u.slice(0, q)
  const params = (q < 0 ? '' : u.slice(q + 1)).split('&').filter((kv) => kv && !/^sslrootcert=/i.test(kv))
  const mode = params.find((kv) => /^sslmode=/i.test(kv))?.split('=')[1]
  const kept = params.filter((kv) => !/^sslmode=/i.test(kv) || (mode && ['verify-full', 'verify-ca', 'require'].includes(mode)))
  if (!kept.some((kv) => /^sslmode=/i.test(kv))) kept.push('sslmode=verify-full')
  kept.push(`sslrootcert=/path/to/${file}`)
  return `${base}?${kept.join('&')}`
}

function maskUrl(u: string): string {
  return u.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1****@')
}

function problemFix(ctx: CheckContext, view: SslView, p: import('../tls/x509.js').TrustProblem, pc: ProblemContext): Fix {
  const label = view.source?.label ?? 'the ssl setting'
  const unverifiedNote = view.verifies ? [] : [`Your app does not verify (${view.offBy.split(';')[0]}); fix the chain and then turn verification on${view.offBy.startsWith('NODE_TLS') ? ' (remove NODE_TLS_REJECT_UNAUTHORIZED=0)' : ' (sslmode=verify-full)'}.`]
  const pgNote = pc.pgsslrootcert
    ? [
        pc.pgsslrootcertWouldTrust
          ? `PGSSLROOTCERT=${pc.pgsslrootcert} holds the right CA, but node-postgres ignores PGSSLROOTCERT: put sslrootcert=${pc.pgsslrootcert} in the connection string (or ssl.ca) instead.`
          : `PGSSLROOTCERT=${pc.pgsslrootcert} is ignored by node-postgres (only libpq/psql read it).`,
      ]
    : []
  const hostAside = pc.hostnameAside ? [`Next problem in line: the certificate is not valid for "${pc.identity}" either (valid for ${pc.result.validNames.join(', ') || 'no names'}).`] : []
  switch (p.code) {
    case 'TLS_SELF_SIGNED_CHAIN':
    case 'TLS_SELF_SIGNED_CERT':
    case 'TLS_UNTRUSTED_ISSUER': {
      const file = pc.provider?.caBundle.file.split(' ')[0] ?? 'ca.pem'
      const {step, snippet} = caSnippet(ctx, view, file)
      const root = pc.rows.find((r) => r.selfSigned)
      const what =
        p.code === 'TLS_SELF_SIGNED_CERT'
          ? `The server certificate is its own issuer: trust exactly that certificate (the server's ssl_cert_file), obtained from the server's operator, not from this connection.`
          : p.code === 'TLS_SELF_SIGNED_CHAIN'
            ? `Trust the root "${p.subject}"${root ? ` (SHA-256 ${root.sha256})` : ''}: get it from the provider or operator and compare the fingerprint; never copy it from the connection itself.`
            : p.nodeError === 'UNABLE_TO_GET_ISSUER_CERT'
              ? `The CA you give node-postgres is an intermediate, not a root: Node only accepts a chain that ends at a self-signed root it trusts. Add the root "${p.subject}" to the same PEM file (the intermediate, then the root), or give the root alone when the server sends its intermediate.`
              : p.nodeError === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
                ? `The server sends only its own certificate, not the intermediate "${p.subject}" that issued it. Fix the server (ssl_cert_file = the server certificate followed by the intermediate), or trust a bundle with the intermediate AND its root (one PEM file, intermediate first) as sslrootcert / ssl.ca or NODE_EXTRA_CA_CERTS: the intermediate alone fails ("unable to get issuer certificate") and the root alone fails ("unable to verify the first certificate").`
                : `Trust the CA that issued the server certificate ("${p.subject}") together with its root (one PEM file), or have the server send its intermediate certificates too (ssl_cert_file should hold the server certificate followed by the intermediates).`
      return {
        summary:
          pc.provider
            ? `Give node-postgres the ${pc.provider.name} CA (${pc.provider.caBundle.file}).`
            : p.code === 'TLS_UNTRUSTED_ISSUER'
              ? p.nodeError === 'UNABLE_TO_GET_ISSUER_CERT'
                ? 'Give node-postgres the root CA too: the CA it has is an intermediate.'
                : p.nodeError === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
                  ? 'Make the server send its intermediate certificate, or give node-postgres the intermediate and the root as one bundle.'
                  : 'Give node-postgres the CA that issued the server certificate with its root (or fix the server\'s incomplete chain).'
              : 'Give node-postgres the CA that signed the server certificate.',
        steps: [
          ...(pc.provider ? [`${pc.provider.name} (recognized by ${pc.provider.recognizedBy}): ${pc.provider.caBundle.how}${pc.provider.caBundle.url ? ` ${pc.provider.caBundle.url}` : ''}`, ...pc.provider.notes] : [what]),
          step,
          ...pgNote,
          'Alternatively, when the app cannot take a CA file: start Node with NODE_EXTRA_CA_CERTS=/path/to/' + file + ' (ignored when ssl.ca is set).',
          ...unverifiedNote,
          ...hostAside,
        ],
        snippet,
      }
    }
    case 'TLS_HOSTNAME_MISMATCH': {
      const names = pc.result.validNames
      const hostLabel = ctx.config.fields.host?.source.label ?? 'the host setting'
      return {
        summary: `Connect with a name the certificate is valid for: ${names.join(', ') || '(the certificate names no host)'}.`,
        steps: [
          `The app checks "${pc.identity}" (host ← ${hostLabel}); the certificate is valid for: ${names.join(', ') || 'nothing usable'}.`,
          `Use one of those names as the host in ${hostLabel}.`,
          pc.hostIsIp
            ? `Connecting by IP address (or through a tunnel)? Keep the address and set ssl.servername to one of those names: node-postgres checks servername for IP hosts.`
            : `Connecting through an SSH tunnel or to "localhost"? node-postgres ignores ssl.servername when host is a name: use host=127.0.0.1 with ssl.servername set to one of those names, or an /etc/hosts entry for the real name.`,
          'Or, when the CA is private to this server (verify-ca semantics), skip only the name check: uselibpqcompat=true&sslmode=verify-ca with sslrootcert in the URL, or ssl.checkServerIdentity: () => undefined with ssl.ca.',
          ...unverifiedNote,
        ],
        snippet: pc.hostIsIp
          ? {language: 'js', code: `ssl: {\n  ca: fs.readFileSync('/path/to/ca.pem', 'utf8'),\n  servername: '${names.find((n) => !n.includes('*') && !/^[\d.:]+$/.test(n)) ?? names[0] ?? 'db.example.com'}',\n}`}
          : undefined,
      }
    }
    case 'TLS_EXPIRED':
    case 'TLS_NOT_YET_VALID': {
      const leaf = p.depth === 0
      const expired = p.code === 'TLS_EXPIRED'
      return {
        summary: expired
          ? leaf
            ? 'Renew the server certificate.'
            : `Replace the expired CA certificate "${p.subject}".`
          : 'Check the clocks, or wait until the certificate becomes valid.',
        steps: expired
          ? [
              leaf
                ? `Issue a new certificate for ${pc.result.validNames.join(', ') || 'the server'}, install it as ssl_cert_file/ssl_key_file and reload PostgreSQL (SELECT pg_reload_conf()).`
                : `If "${p.subject}" comes from your CA file, get the current one${pc.provider ? ` (${pc.provider.caBundle.how})` : ''}; if the server sends it, the server's chain must be re-issued.`,
              ...(pc.provider ? [`${pc.provider.name}: ${pc.provider.caBundle.how}`] : []),
              "If the dates look wrong, check this machine's clock (date -u).",
              ...unverifiedNote,
            ]
          : [
              "Compare this machine's clock (date -u) with the certificate's notBefore in the chain table.",
              'A certificate issued with a future start date only works from that date: re-issue it with a notBefore in the past.',
              ...unverifiedNote,
            ],
      }
    }
    default:
      return {summary: p.message, steps: unverifiedNote}
  }
}
