// Codes of the `tls` check. When the config does not verify certificates, the
// chain problems are reported as warnings (the app connects, unverified).
import type {NoTlsError} from '../models/drivers/types.js'
import type {TlsPeerEnd} from '../probes/tls.js'
import {connectionStringSnippet} from './snippets.js'
import {PRISMA_ENGINE_VERIFY_PARAMS, urlWithParams} from '../config/connection-string.js'
import type {Provenance} from '../config/types.js'
import type {ReadingModelled} from '../config/pg-config.js'
import type {LaunchModelled} from '../config/launch.js'
import {launchModelledText, readingModelledText} from './modelled.js'
import type {ProviderInfo} from './providers.js'
import type {Fix, Snippet} from '../core/types.js'
import type {TrustProblem, TrustProblemDetail} from '../tls/x509.js'
import {define, messages} from './types.js'
import {fileReasonText} from './files.js'
import type {FileReason} from '../core/files.js'

/** What turns certificate verification off in the app, when it is off. */
export interface VerifyOff {
  /** NODE_TLS_REJECT_UNAUTHORIZED=0 turns it off (the ssl options leave rejectUnauthorized unset) */
  offByEnv: boolean
  /** that variable is in the environment db-doctor runs in (else only in the env file) */
  offByEnvInProcess: boolean
  /** the source label of the effective ssl setting, when there is one */
  sslFrom: string | null
}

/** "rejectUnauthorized: false, from …" or "NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment; …". */
function offBy(p: VerifyOff): string {
  return p.offByEnv
    ? `NODE_TLS_REJECT_UNAUTHORIZED=0 ${p.offByEnvInProcess ? 'in the environment' : 'from the env file (it counts only when the app loads that file into process.env before connecting: dotenv in the app does, the knex CLI never does)'}; the ssl options do not set rejectUnauthorized, so Node's default follows the variable`
    : `rejectUnauthorized: false, from ${p.sslFrom ?? 'the ssl setting'}`
}

/** The first clause of what turns verification off (the evidence's `ssl` line uses it too). */
function offByShort(p: VerifyOff): string {
  return offBy(p).split(';')[0]
}

/** What the x509 model found, in words (the summaries and the evidence's problems and warnings). */
export function trustProblemMessage(d: TrustProblemDetail): string {
  const who = (ca: string | null) => (ca === null ? 'The server certificate' : `The CA certificate "${ca}"`)
  switch (d.kind) {
    case 'no-certificate':
      return 'The server presented no certificate.'
    case 'trusted-ca-not-root':
      return `The trusted CA "${d.ca}" is not a root: Node needs the chain to end at a self-signed root among the trusted CAs, and its issuer "${d.issuer}" is not one of them.`
    case 'self-signed-leaf':
      return `The server certificate "${d.subject}" is self-signed and not trusted.`
    case 'self-signed-root':
      return `The chain ends in the self-signed root "${d.root}", which is not trusted.`
    case 'issuer-unknown':
      return `"${d.subject}" is issued by "${d.issuer}", which the app does not trust: the server does not send that certificate and it is not in the CA store in use.`
    case 'not-yet-valid':
      return `${who(d.ca)} is not valid before ${d.notBefore}.`
    case 'expired':
      return `${who(d.ca)} expired on ${d.notAfter}.`
    case 'expiring':
      return `${who(d.ca)} expires on ${d.notAfter} (in ${d.days} day${d.days === 1 ? '' : 's'}).`
    case 'hostname':
      return `The server certificate is not valid for "${d.identity}": it names ${d.names.length ? d.names.join(', ') : 'no host'}.`
  }
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

/** How a handshake that did not complete ended (the probe's outcome). */
interface HandshakeEnd {
  outcome: 'timeout' | 'handshake-failed' | 'connect-failed'
  /** for a timeout: where it stalled */
  stage: string | null
  timeoutMs: number
  errorCode: string | null
  /** the error's own message (not for a timeout) */
  error: string | null
  /** the app uses sslnegotiation=direct */
  direct: boolean
}

/** Why the handshake failed, in words. */
function handshakeReason(p: HandshakeEnd): string {
  if (p.outcome === 'timeout') return `no answer within ${p.timeoutMs} ms (${p.stage})`
  const c = p.errorCode ?? ''
  if (p.direct && /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|ECONNRESET|EPIPE/.test(c)) {
    return `the server does not accept TLS at connection start (${c}): sslnegotiation=direct needs PostgreSQL 17 or later`
  }
  if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW|VERSION_TOO_HIGH/.test(c))
    return `no TLS protocol version both sides accept (${c})`
  if (/NO_SHARED_CIPHER|HANDSHAKE_FAILURE|NO_CIPHER/.test(c)) return `no cipher suite both sides accept (${c})`
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|UNEXPECTED_DATA/.test(c))
    return `the server did not speak TLS after accepting it (${c}): not a PostgreSQL TLS endpoint, or a proxy in the way`
  if (c === 'ECONNRESET' || c === 'EPIPE') return `the server closed the connection during the handshake (${c})`
  if (/ALPN|NO_APPLICATION_PROTOCOL/.test(c)) return `the server refused ALPN "postgresql" (${c})`
  return `${p.error ?? ''}${c ? ` (${c})` : ''}`
}

/** One piece of the CA store the app's Node process uses for the connection (the check finds them, in order). */
export type TrustStorePart =
  /** an explicit ssl.ca (it replaces every default CA), with where it comes from */
  | {kind: 'config-ca'; caLabel: string}
  /** NODE_OPTIONS has --use-openssl-ca / --use-system-ca: the system bundle file, when one is found */
  | {kind: 'system'; flag: string; file: string | null}
  | {kind: 'bundled'}
  | {kind: 'extra-ca-certs'; file: string; count: number}

function trustStorePart(p: TrustStorePart): string {
  switch (p.kind) {
    case 'config-ca':
      return `the CA the config supplies (${p.caLabel}; replaces Node's default CAs)`
    case 'system':
      return p.file
        ? `the system CA store (${p.file}, because NODE_OPTIONS has ${p.flag})`
        : `the system CA store (NODE_OPTIONS has ${p.flag}; no CA bundle file found)`
    case 'bundled':
      return "Node's bundled CAs"
    case 'extra-ca-certs':
      return `NODE_EXTRA_CA_CERTS (${p.file}, ${p.count} certificate${p.count === 1 ? '' : 's'})`
  }
}

/** Something the tls check noticed on the way (its evidence's notes, in the check's order). */
export type TlsNote =
  | {kind: 'extra-ca-ignored'}
  | {kind: 'ca-unparsable'; caLabel: string}
  | {kind: 'extra-ca-too-late'}
  | {kind: 'extra-ca-unreadable'; file: string; errorCode: string | null}
  /** NODE_OPTIONS=--use-openssl-ca / --use-system-ca: the system bundle (SSL_CERT_FILE…) cannot be read */
  | {kind: 'system-ca-unreadable'; file: string; reason: FileReason}
  /** NODE_TLS_REJECT_UNAUTHORIZED=0 only in the env file, which the tool's process does not load */
  | {kind: 'env-file-not-loaded'; tool: {tool: string; modelled: LaunchModelled} | null}
  | {kind: 'tls-unused'}
  | {kind: 'custom-identity'; sslSetting: string | null}
  | {kind: 'pgsslrootcert-ignored'; file: string}

function tlsNote(n: TlsNote): string {
  switch (n.kind) {
    case 'extra-ca-ignored':
      return 'NODE_EXTRA_CA_CERTS is not used for this connection: an explicit ssl.ca replaces every default CA.'
    case 'ca-unparsable':
      return `The configured CA (${n.caLabel}) holds no parsable PEM certificate.`
    case 'extra-ca-too-late':
      return 'NODE_EXTRA_CA_CERTS only works when set before Node starts (shell, container env, `node --env-file`); setting it from dotenv inside the app is too late.'
    case 'extra-ca-unreadable':
      return `NODE_EXTRA_CA_CERTS=${n.file} cannot be read (${n.errorCode ?? 'error'}): Node ignores it with a warning.`
    case 'system-ca-unreadable':
      return `The system CA bundle ${n.file} cannot be used (${fileReasonText(n.reason)}): Node starts without its certificates and verifies against none of them.`
    case 'env-file-not-loaded':
      return `NODE_TLS_REJECT_UNAUTHORIZED=0 is only in the env file, which ${n.tool ? `${n.tool.tool}, as it is launched (${launchModelledText(n.tool.modelled)}),` : 'the migration tool'} does not load: its process verifies the certificate.`
    case 'tls-unused':
      return 'Your config does not use TLS: this is what node-postgres would see with ssl enabled and verified.'
    case 'custom-identity':
      return `The identity check is replaced by the config's checkServerIdentity (${tlsEvidence.sslSetting(n.sslSetting)}), e.g. verify-ca semantics.`
    case 'pgsslrootcert-ignored':
      return `PGSSLROOTCERT=${n.file} is set: psql and libpq read it, node-postgres ignores it.`
  }
}

/** The tls check's evidence lines that are words. */
export const tlsEvidence = {
  /** the app's effective ssl: off, on and verified, or on and not verified (and what turns it off) */
  ssl: (p: VerifyOff & {used: boolean; verifies: boolean}): string =>
    p.used ? (p.verifies ? 'on, verified (rejectUnauthorized)' : `on, NOT verified (${offByShort(p)})`) : 'off',
  /** where the effective ssl setting comes from (its source's label) */
  sslSetting: (label: string | null): string => label ?? 'the default (no ssl setting)',
  /** the URL parser the app's pg config was modelled with */
  modelled: (parser: ReadingModelled): string => readingModelledText(parser),
  negotiation: (direct: boolean): string => (direct ? 'direct (TLS first, ALPN postgresql)' : 'postgres (SSLRequest)'),
  trustStore: (parts: readonly TrustStorePart[]): string => parts.map(trustStorePart).join(' + '),
  notes: (notes: readonly TlsNote[]): string[] => notes.map(tlsNote),
}

/** Pass and skip summaries of the tls check. */
export const tlsSays = messages({
  /** the check's title in reports */
  title: () => 'TLS certificate chain',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () => 'the certificate chain the server presents, judged the way node-postgres will judge it',
  /** how the peer ended a TLS attempt without an error of its own (probes/tls.ts TlsPeerEnd) */
  peerEnded: (ended: TlsPeerEnd) =>
    ended === 'closed-during-handshake'
      ? 'The server closed the connection during the TLS handshake.'
      : ended === 'data-after-sslrequest'
        ? 'The server sent unexpected data after accepting SSLRequest.'
        : 'The server closed the connection after SSLRequest.',
  cannotBuild: (p: {errorCode: string | null}) =>
    `Cannot build the TLS settings node-postgres would use (${p.errorCode ?? 'error'}): the ssl-config check reports it.`,
  unixSocket: () => 'The connection uses a Unix socket: TLS does not apply.',
  noAnswer: () => 'No server answer to inspect: the postgres check established no TLS offer.',
  notOfferedNotAsked: () =>
    'The server does not offer TLS and the config does not ask for it: the connection is unencrypted (the ssl-config check judges that).',
  notOfferedNotUsed: () => 'The server does not offer TLS; the config does not use it.',
  notOfferedFallsBack: (p: {driver: string; ssl: string; setting: string | null}) =>
    `The server does not offer TLS (it answered N to SSLRequest); ${p.driver} goes on without it for ssl '${p.ssl}'${p.setting ? ` (${p.setting})` : ''}, so db-doctor logs in without TLS too. It never retries without TLS after a TLS failure. The connection is unencrypted (the ssl-config check judges that).`,
  handshakeFailedUnused: (p: HandshakeEnd) =>
    `The config does not use TLS; a TLS handshake with the server failed anyway: ${handshakeReason(p)}.`,
  unusedChain: (p: {protocol: string | null; problem: Pick<TrustProblem, 'code' | 'detail'> | null}) =>
    `The config does not use TLS (the ssl-config check judges that). The server offers ${p.protocol ?? 'TLS'}; with verification on, the chain ${p.problem ? `would fail with ${p.problem.code} (${trustProblemMessage(p.problem.detail)})` : 'would verify'}.`,
  verified: (
    p: VerifyOff & {
      protocol: string | null
      cipher: string | null
      verifies: boolean
      /** the CA store the app's Node process uses, in words */
      store: string
      anchorSubject: string | null
      /** the config replaces the identity check (checkServerIdentity) */
      customIdentity: boolean
      identity: string
    },
  ) => {
    const how = p.verifies
      ? `verified against ${p.store}${p.anchorSubject ? ` (anchor "${p.anchorSubject}")` : ''}${p.customIdentity ? ", identity by the config's own check" : `, valid for "${p.identity}"`}`
      : `not verified by the app (${offByShort(p)}), though the chain itself verifies`
    return `${p.protocol ?? 'TLS'} with ${p.cipher ?? 'an agreed cipher'}; the certificate chain is ${how}.`
  },
})

interface NotSupported {
  /** the server's answer to SSLRequest ('N', or the byte it sent) */
  answer: string
  sslFrom: string | null
  /** the app's sslmode, when set */
  sslmode: string | null
  /** the app's driver when it is not node-postgres ("postgres.js 3.4.10"), and which error it shows */
  driver?: {driver: string; error: NoTlsError} | null
}

interface Handshake extends HandshakeEnd {
  address: string
  port: number
  sslFrom: string | null
  /** the app's limits on TLS, when it sets them */
  minVersion: string | null
  maxVersion: string | null
  ciphers: string | null
}

/** Where node-postgres takes a CA from for this app. */
interface CaPlace {
  /** the app's connection-string URL (password masked) when the ssl setting comes from it or from a default, with its source */
  caUrl: {
    masked: string
    source: Provenance
    /** its own sslmode (as node-postgres reads the URL) verifies: require, verify-ca or verify-full (kept) */
    sslmodeVerifies: boolean
  } | null
  /** the ssl setting is an ssl object in the app's own code */
  sslInApp: boolean
  /** the app's driver has no sslrootcert and sends it to the server (postgres.js 3.x): the CA goes to Node */
  noRootcertParam?: boolean
}

/** A chain problem, judged the way the app's node-postgres judges it. */
interface ChainProblem extends VerifyOff, CaPlace {
  /** the first problem of the chain (from the x509 model) */
  problem: TrustProblem
  verifies: boolean
  provider: ProviderInfo | null
  validNames: string[]
  /** the name the app checks the certificate against */
  identity: string
  hostIsIp: boolean
  /** the source label of the host setting, when set */
  hostFrom: string | null
  /** PGSSLROOTCERT, when set, and whether the CA it names would make the chain trusted */
  pgsslrootcert: string | null
  pgsslrootcertWouldTrust: boolean
  /** the certificate does not name the identity either (a second problem behind the first) */
  hostnameAside: boolean
  /** the app's driver when it is not node-postgres ("postgres.js 3.4.7"); null: node-postgres */
  client?: string | null
  /** the SHA-256 fingerprint of the chain's self-signed root, when it presents one */
  rootSha256: string | null
}

interface ExpiringSoon {
  /** the certificate that expires soon (from the x509 model) */
  warning: TrustProblem
  verifies: boolean
  validNames: string[]
  /** where the app's own CA comes from, when it has one */
  caLabel: string | null
  provider: ProviderInfo | null
}

function chainSummary(p: ChainProblem): string {
  const consequence = p.verifies
    ? `${p.client ?? 'node-postgres'} will refuse the connection with "${nodeMessage(p.problem.nodeError)}"`
    : `the app does not verify the certificate (${offBy(p)}), so ${p.client ?? 'node-postgres'} connects anyway — unverified, open to interception`
  return `${trustProblemMessage(p.problem.detail)} Consequence: ${consequence}.`
}

/** Prisma 2–6's own engine (src/models/drivers/prisma-engine.ts) is the app's driver. */
const byPrismaEngine = (p: {client?: string | null}) => p.client?.startsWith('prisma-engine ') === true

/**
 * The URL with sslmode (kept when it verifies) and sslrootcert set, other params untouched. For Prisma's
 * engine, its own words: sslmode=require (verify-full would be read as prefer), sslcert, sslaccept=strict.
 */
function withSslParams(u: NonNullable<CaPlace['caUrl']>, file: string, engine = false): string {
  if (engine)
    return (
      urlWithParams(u.masked, {
        remove: [...PRISMA_ENGINE_VERIFY_PARAMS],
        set: {sslmode: 'require', sslcert: `/path/to/${file}`, sslaccept: 'strict'},
      }) ?? u.masked
    )
  const keep = u.sslmodeVerifies
  const remove = ['sslrootcert']
  if (!keep) remove.push('sslmode')
  const edits = {remove, set: {...(keep ? {} : {sslmode: 'verify-full'}), sslrootcert: `/path/to/${file}`}}
  return urlWithParams(u.masked, edits) ?? u.masked
}

/** Where to put a CA so node-postgres uses it: the URL the setting came from, or the app's ssl object. */
function caSnippet(p: ChainProblem, file: string): {step: string; snippet: Snippet} {
  if (p.caUrl && byPrismaEngine(p)) {
    return {
      step: `Add sslcert=/path/to/${file}&sslaccept=strict to ${p.caUrl.source.label}, with sslmode=require (Prisma's engine trusts that CA, and verifies the chain and the host name only with sslaccept=strict; a relative path starts from the schema's folder).`,
      snippet: connectionStringSnippet(p.caUrl.source, withSslParams(p.caUrl, file, true)),
    }
  }
  if (p.caUrl && p.noRootcertParam) {
    const url =
      urlWithParams(p.caUrl.masked, {remove: ['sslrootcert'], set: {sslmode: 'verify-full'}}) ?? p.caUrl.masked
    return {
      step: `${p.client ?? 'postgres.js'} has no sslrootcert (it sends it to the server, which refuses the login: unrecognized configuration parameter "sslrootcert"): give Node the CA with NODE_EXTRA_CA_CERTS=/path/to/${file} in the environment the migration runs in (or ssl: { ca } in code), and set sslmode=verify-full in ${p.caUrl.source.label} (require does not verify in postgres.js).`,
      snippet: connectionStringSnippet(p.caUrl.source, url),
    }
  }
  if (p.caUrl) {
    return {
      step: `Add sslrootcert=/path/to/${file} to ${p.caUrl.source.label} (${p.client ? `${p.client} reads the file as its CA` : 'node-postgres reads the file into ssl.ca'}; it replaces Node's default CAs for this connection).`,
      snippet: connectionStringSnippet(p.caUrl.source, withSslParams(p.caUrl, file)),
    }
  }
  if (!p.sslInApp) {
    return {
      step: `node-postgres takes no CA from the environment (PGSSLROOTCERT is ignored): put sslrootcert=/path/to/${file} in the connection string, or pass ssl: { ca } in the Pool/Client options.`,
      snippet: {
        language: 'js',
        code: `new pg.Pool({\n  // …\n  ssl: {ca: fs.readFileSync('/path/to/${file}', 'utf8')},\n})`,
      },
    }
  }
  const where = p.sslFrom ?? 'the Pool/Client options'
  return {
    step: `Set ssl.ca in ${where} (an sslrootcert in the connection string would replace this whole ssl object).`,
    snippet: {language: 'js', code: `ssl: {\n  ca: fs.readFileSync('/path/to/${file}', 'utf8'),\n}`},
  }
}

/** The step added when the app does not verify: fix the chain, then turn verification on. */
function unverifiedNote(p: ChainProblem): string[] {
  return p.verifies
    ? []
    : [
        `Your app does not verify (${offByShort(p)}); fix the chain and then turn verification on${p.offByEnv ? ' (remove NODE_TLS_REJECT_UNAUTHORIZED=0)' : byPrismaEngine(p) ? ' (sslaccept=strict)' : ' (sslmode=verify-full)'}.`,
      ]
}

/** The fix of an untrusted chain (self-signed root or certificate, unknown issuer, missing intermediate). */
function trustFix(p: ChainProblem): Fix {
  const pr = p.problem
  const file = p.provider?.caBundle.file.split(' ')[0] ?? 'ca.pem'
  const who = p.client ?? 'node-postgres'
  const {step, snippet} = caSnippet(p, file)
  const pgNote = p.pgsslrootcert
    ? [
        p.pgsslrootcertWouldTrust
          ? `PGSSLROOTCERT=${p.pgsslrootcert} holds the right CA, but node-postgres ignores PGSSLROOTCERT: put sslrootcert=${p.pgsslrootcert} in the connection string (or ssl.ca) instead.`
          : `PGSSLROOTCERT=${p.pgsslrootcert} is ignored by node-postgres (only libpq/psql read it).`,
      ]
    : []
  const hostAside = p.hostnameAside
    ? [
        `Next problem in line: the certificate is not valid for "${p.identity}" either (valid for ${p.validNames.join(', ') || 'no names'}).`,
      ]
    : []
  const what =
    pr.code === 'TLS_SELF_SIGNED_CERT'
      ? `The server certificate is its own issuer: trust exactly that certificate (the server's ssl_cert_file), obtained from the server's operator, not from this connection.`
      : pr.code === 'TLS_SELF_SIGNED_CHAIN'
        ? `Trust the root "${pr.subject}"${p.rootSha256 ? ` (SHA-256 ${p.rootSha256})` : ''}: get it from the provider or operator and compare the fingerprint; never copy it from the connection itself.`
        : pr.nodeError === 'UNABLE_TO_GET_ISSUER_CERT'
          ? `The CA you give ${who} is an intermediate, not a root: Node only accepts a chain that ends at a self-signed root it trusts. Add the root "${pr.subject}" to the same PEM file (the intermediate, then the root), or give the root alone when the server sends its intermediate.`
          : pr.nodeError === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
            ? `The server sends only its own certificate, issued by "${pr.subject}", which ${who} does not trust. When "${pr.subject}" is a root CA (a private CA that signs server certificates directly), trust it: give it to ${who} as ${byPrismaEngine(p) ? 'sslcert' : 'sslrootcert / ssl.ca or NODE_EXTRA_CA_CERTS'}. When it is an intermediate, fix the server (ssl_cert_file = the server certificate followed by the intermediate), or trust a bundle with the intermediate AND its root (one PEM file, intermediate first): the intermediate alone fails ("unable to get issuer certificate") and the root alone fails ("unable to verify the first certificate").`
            : `Trust the CA that issued the server certificate ("${pr.subject}") together with its root (one PEM file), or have the server send its intermediate certificates too (ssl_cert_file should hold the server certificate followed by the intermediates).`
  return {
    summary: p.provider
      ? `Give ${who} the ${p.provider.name} CA (${p.provider.caBundle.file}).`
      : pr.code === 'TLS_UNTRUSTED_ISSUER'
        ? pr.nodeError === 'UNABLE_TO_GET_ISSUER_CERT'
          ? `Give ${who} the root CA too: the CA it has is an intermediate.`
          : pr.nodeError === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
            ? `Give ${who} the CA "${pr.subject}" that issued the server certificate (with its root, when it is an intermediate), or make the server send its intermediate.`
            : `Give ${who} the CA that issued the server certificate with its root (or fix the server's incomplete chain).`
        : `Give ${who} the CA that signed the server certificate.`,
    steps: [
      ...(p.provider
        ? [
            `${p.provider.name} (recognized by ${p.provider.recognizedBy}): ${p.provider.caBundle.how}${p.provider.caBundle.url ? ` ${p.provider.caBundle.url}` : ''}`,
            ...p.provider.notes,
          ]
        : [what]),
      step,
      ...pgNote,
      // Prisma's engine is not Node's TLS: NODE_EXTRA_CA_CERTS does not reach it
      ...(byPrismaEngine(p)
        ? []
        : [
            'Alternatively, when the app cannot take a CA file: start Node with NODE_EXTRA_CA_CERTS=/path/to/' +
              file +
              ' (ignored when ssl.ca is set).',
          ]),
      ...unverifiedNote(p),
      ...hostAside,
    ],
    snippet,
  }
}

function hostnameFix(p: ChainProblem): Fix {
  const names = p.validNames
  const hostLabel = p.hostFrom ?? 'the host setting'
  return {
    summary: `Connect with a name the certificate is valid for: ${names.join(', ') || '(the certificate names no host)'}.`,
    steps: [
      `The app checks "${p.identity}" (host ← ${hostLabel}); the certificate is valid for: ${names.join(', ') || 'nothing usable'}.`,
      `Use one of those names as the host in ${hostLabel}.`,
      p.hostIsIp
        ? `Connecting by IP address (or through a tunnel)? Keep the address and set ssl.servername to one of those names: node-postgres checks servername for IP hosts.`
        : `Connecting through an SSH tunnel or to "localhost"? node-postgres ignores ssl.servername when host is a name: use host=127.0.0.1 with ssl.servername set to one of those names, or an /etc/hosts entry for the real name.`,
      'Or, when the CA is private to this server (verify-ca semantics), skip only the name check: uselibpqcompat=true&sslmode=verify-ca with sslrootcert in the URL, or ssl.checkServerIdentity: () => undefined with ssl.ca.',
      ...unverifiedNote(p),
    ],
    snippet: p.hostIsIp
      ? {
          language: 'js',
          code: `ssl: {\n  ca: fs.readFileSync('/path/to/ca.pem', 'utf8'),\n  servername: '${names.find((n) => !n.includes('*') && !/^[\d.:]+$/.test(n)) ?? names[0] ?? 'db.example.com'}',\n}`,
        }
      : undefined,
  }
}

function validityFix(p: ChainProblem): Fix {
  const pr = p.problem
  const leaf = pr.depth === 0
  const expired = pr.code === 'TLS_EXPIRED'
  return {
    summary: expired
      ? leaf
        ? 'Renew the server certificate.'
        : `Replace the expired CA certificate "${pr.subject}".`
      : 'Check the clocks, or wait until the certificate becomes valid.',
    steps: expired
      ? [
          leaf
            ? `Issue a new certificate for ${p.validNames.join(', ') || 'the server'}, install it as ssl_cert_file/ssl_key_file and reload PostgreSQL (SELECT pg_reload_conf()).`
            : `If "${pr.subject}" comes from your CA file, get the current one${p.provider ? ` (${p.provider.caBundle.how})` : ''}; if the server sends it, the server's chain must be re-issued.`,
          ...(p.provider ? [`${p.provider.name}: ${p.provider.caBundle.how}`] : []),
          "If the dates look wrong, check this machine's clock (date -u).",
          ...unverifiedNote(p),
        ]
      : [
          "Compare this machine's clock (date -u) with the certificate's notBefore in the chain table.",
          'A certificate issued with a future start date only works from that date: re-issue it with a notBefore in the past.',
          ...unverifiedNote(p),
        ],
  }
}

/** What a driver other than node-postgres shows when the server answers N (models/drivers NoTlsError). */
const NO_TLS_ERROR: Record<NoTlsError, string> = {
  // postgres.js 4.x src/startup.js negotiate()
  'ssl-not-supported': 'SSL_NOT_SUPPORTED: The server does not support SSL connections',
  // postgres.js 3.4 src/connection.js secure(): tls.connect on the socket the server then closes
  'tls-on-plaintext': 'Client network socket disconnected before secure TLS connection was established (ECONNRESET)',
}

export const TLS_NOT_SUPPORTED = define<NotSupported>({
  code: 'TLS_NOT_SUPPORTED',
  check: 'tls',
  status: 'fail',
  title: 'Server does not offer TLS',
  meaning: 'The server answered `N` (no TLS) but the config requires TLS; node-postgres never falls back.',
  causes: [
    '`ssl = off` on the server (a local or Docker PostgreSQL)',
    'a pooler or proxy in front without TLS',
    'sslmode=require copied from a cloud URL to a local database',
  ],
  fix: 'Enable `ssl` on the server, or change the setting where it is set.',
  transient: false,
  matchers: [
    // pgJDBC (PSQLException) and postgres.js (SSL_NOT_SUPPORTED, src/startup.js:226): "The server does not support SSL…"
    'The server does not support SSL',
    'server does not support SSL, but SSL was required',
    // tokio-postgres (Prisma's engine, connect_tls.rs) → "P1011: Error opening a TLS connection: server does not support TLS"
    'server does not support TLS',
  ],
  examples: [
    // pg/lib/connection.js (the server answered 'N' to SSLRequest); libpq fe-connect.c
    {
      source: 'node-postgres',
      text: 'Error: The server does not support SSL connections\n    at Socket.<anonymous> (node_modules/pg/lib/connection.js:86:35)',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 5432 failed: server does not support SSL, but SSL was required',
    },
    {source: 'prisma', text: 'Error: P1011: Error opening a TLS connection: server does not support TLS'},
  ],
  summary: (p) =>
    `The server answered '${p.answer}' to SSLRequest: it does not accept TLS, but the config requires it (${p.sslFrom ?? 'the ssl setting'}). ${p.driver ? `${p.driver.driver} fails with "${NO_TLS_ERROR[p.driver.error]}"` : 'node-postgres fails with "The server does not support SSL connections"'}.`,
  buildFix: (p) => ({
    summary: 'Enable TLS on the server, or stop requiring it where the setting comes from.',
    steps: [
      'On the server: set ssl = on with ssl_cert_file and ssl_key_file in postgresql.conf, then reload (SELECT pg_reload_conf()).',
      `Or, only if the network path is trusted (same host, private network): change the setting at its source, ${p.sslFrom ?? 'the ssl setting'} (sslmode=disable / ssl: false).`,
      ...(p.sslmode === 'prefer' && !p.driver
        ? ['Note: node-postgres does not fall back to an unencrypted connection for sslmode=prefer the way libpq does.']
        : []),
    ],
    snippet: {
      language: 'ini',
      code: "# postgresql.conf\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'",
    },
  }),
})

export const TLS_SELF_SIGNED_CHAIN = define<ChainProblem>({
  code: 'TLS_SELF_SIGNED_CHAIN',
  check: 'tls',
  status: 'fail',
  statusText: 'fail / warn',
  title: 'Chain ends in an untrusted self-signed root',
  meaning:
    "The chain ends in a self-signed root the app does not trust — `self-signed certificate in certificate chain`. The evidence names the root's subject and fingerprint.",
  causes: [
    "a provider's private CA (AWS RDS, Azure, Cloud SQL, Aiven, Supabase) that is not in Node's CA list",
    'sslmode=require in the URL: node-postgres verifies it like verify-full (libpq does not)',
    'a corporate TLS-inspecting proxy',
  ],
  fix: "Get the provider's or operator's CA and set `sslrootcert=` in the URL or `ssl: { ca }` — keep verification on.",
  transient: false,
  matchers: [
    {re: /self[- ]signed certificate in certificate chain/i, needle: 'signed certificate in certificate chain'},
    'SELF_SIGNED_CERT_IN_CHAIN',
  ],
  examples: [
    // OpenSSL's X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN text (crypto/x509/x509_txt.c): "self-signed …" since OpenSSL 3
    // (Node ≥ 17, https://github.com/run-llama/LlamaIndexTS/issues/366), "self signed …" before (Node ≤ 16,
    // https://github.com/brianc/node-postgres/issues/2009); Prisma appends it to the OpenSSL error in parentheses
    {
      source: 'node-postgres',
      text: "Error: self-signed certificate in certificate chain\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1677:34) { code: 'SELF_SIGNED_CERT_IN_CHAIN' }",
    },
    // RDS's CA is not in Node's store: https://github.com/brianc/node-postgres/issues/2558 (Node 16, rds.force_ssl = 1),
    // https://github.com/NangoHQ/nango/issues/2694 (Node ≥ 17); a Rust client against RDS: https://github.com/joshstevens19/rindexer/issues/320
    {
      source: 'aws-rds',
      text: 'connection error Error: self signed certificate in certificate chain\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1530:34)\n    at TLSSocket.emit (node:events:526:28)',
    },
    {
      source: 'aws-rds',
      text: 'Error connecting to database: error performing TLS handshake: error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:ssl/statem/statem_clnt.c:2123: (self-signed certificate in certificate chain)',
    },
    {
      source: 'prisma',
      text: 'Error: P1011: Error opening a TLS connection: error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (self-signed certificate in certificate chain)',
    },
  ],
  summary: chainSummary,
  buildFix: trustFix,
})

export const TLS_SELF_SIGNED_CERT = define<ChainProblem>({
  code: 'TLS_SELF_SIGNED_CERT',
  check: 'tls',
  status: 'fail',
  statusText: 'fail / warn',
  title: 'Server certificate signs itself',
  meaning: 'The server certificate signs itself (`self-signed certificate`).',
  causes: ['a self-signed server certificate (Docker images, snakeoil certificates, `openssl req -x509`)'],
  fix: 'Trust exactly that certificate with `sslrootcert` / `ssl.ca`.',
  transient: false,
  matchers: [
    {re: /self[- ]signed certificate(?! in certificate chain)/i, needle: 'signed certificate'},
    'DEPTH_ZERO_SELF_SIGNED_CERT',
  ],
  examples: [
    // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate" (OpenSSL 3, https://github.com/brianc/node-postgres/issues/2946),
    // "self signed certificate" (OpenSSL 1.1, https://github.com/heroku/nodejs-getting-started/issues/166, prisma/orm#1010)
    {
      source: 'node-postgres',
      text: "Error: self-signed certificate\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1677:34) { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }",
    },
    {
      source: 'node',
      text: "Error: self signed certificate\n    at TLSSocket.onConnectSecure (_tls_wrap.js:1473:34)\n    at TLSSocket.emit (events.js:311:20) {\n  code: 'DEPTH_ZERO_SELF_SIGNED_CERT'\n}",
    },
    {
      source: 'prisma',
      text: 'Error: P1011: Error opening a TLS connection: error:1416F086:SSL routines:tls_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1924: (self signed certificate)',
    },
  ],
  summary: chainSummary,
  buildFix: trustFix,
})

export const TLS_UNTRUSTED_ISSUER = define<ChainProblem>({
  code: 'TLS_UNTRUSTED_ISSUER',
  check: 'tls',
  status: 'fail',
  statusText: 'fail / warn',
  title: 'Issuer unknown or intermediate missing',
  meaning:
    'Unknown issuer or missing intermediate (`unable to verify the first certificate`, `unable to get local issuer certificate`).',
  causes: [
    'the server does not send its intermediate certificates',
    "a private CA that is not in the app's trust (sslrootcert / ssl.ca / NODE_EXTRA_CA_CERTS)",
    'PGSSLROOTCERT set: libpq reads it, node-postgres ignores it',
  ],
  fix: 'Trust the issuing CA, or have the server send its intermediates in `ssl_cert_file`.',
  transient: false,
  matchers: [
    'unable to verify the first certificate',
    'unable to get local issuer certificate',
    'unable to get issuer certificate',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    {re: /SSL error: certificate verify failed/i, needle: 'certificate verify failed'},
  ],
  examples: [
    // X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE / _UNABLE_TO_GET_ISSUER_CERT_LOCALLY texts (OpenSSL x509_txt.c), Node's
    // codes from them (src/crypto/crypto_common.cc); libpq prints "SSL error: certificate verify failed" (fe-secure-openssl.c)
    {
      source: 'node-postgres',
      text: "Error: unable to verify the first certificate\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1677:34) { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }",
    },
    {
      source: 'node',
      text: "Error: unable to get local issuer certificate { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }",
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "db.example.com" (10.0.0.5), port 5432 failed: SSL error: certificate verify failed',
    },
  ],
  summary: chainSummary,
  buildFix: trustFix,
})

export const TLS_HOSTNAME_MISMATCH = define<ChainProblem>({
  code: 'TLS_HOSTNAME_MISMATCH',
  check: 'tls',
  status: 'fail',
  statusText: 'fail / warn',
  title: 'Certificate does not name the host',
  meaning:
    'The certificate does not name the host the app checks — connecting by IP address or through an SSH tunnel to localhost lands here. The fix lists the names it is valid for.',
  causes: [
    'connecting by IP address, or to localhost through an SSH tunnel or port-forward',
    'a CNAME or custom domain the certificate does not cover',
    'a certificate issued for another host',
  ],
  fix: 'Use one of those names; for an IP host set `ssl.servername`; or verify-ca semantics.',
  transient: false,
  matchers: [
    "does not match certificate's altnames",
    'ERR_TLS_CERT_ALTNAME_INVALID',
    {re: /is not in the cert's (?:altnames|list)/i, needle: "is not in the cert's"},
    {
      re: /server certificate for "[^"]{0,300}"(?: \(and \d{1,4} other names?\))? does not match host name "[^"]{0,300}"/i,
      needle: 'does not match host name',
    },
  ],
  examples: [
    // Node lib/tls.js checkServerIdentity ("IP: <ip> is not in the cert's list: …", "Host: <name>. is not in the cert's
    // altnames: …"); libpq fe-secure-common.c ('server certificate for "%s" (and %d other names) does not match host name "%s"')
    {
      source: 'node-postgres',
      text: "Error: Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: \n    at Object.checkServerIdentity (node:tls:316:12) { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }",
    },
    {
      source: 'node',
      text: "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's altnames: DNS:db.example.com",
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "localhost" (127.0.0.1), port 5432 failed: server certificate for "db.example.com" does not match host name "localhost"',
    },
  ],
  summary: chainSummary,
  buildFix: hostnameFix,
})

export const TLS_EXPIRED = define<ChainProblem>({
  code: 'TLS_EXPIRED',
  check: 'tls',
  status: 'fail',
  statusText: 'fail / warn',
  title: 'Certificate expired',
  meaning: 'A certificate in the chain has expired.',
  causes: [
    'the server certificate was not renewed (or renewed but the server not reloaded)',
    'an outdated CA bundle (RDS rds-ca-2019)',
    "this machine's clock is far ahead",
  ],
  fix: 'Renew it and reload the server, or update the CA file.',
  transient: false,
  matchers: ['certificate has expired', 'CERT_HAS_EXPIRED'],
  examples: [
    // X509_V_ERR_CERT_HAS_EXPIRED (OpenSSL x509_txt.c) → Node code CERT_HAS_EXPIRED
    {
      source: 'node-postgres',
      text: "Error: certificate has expired\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1677:34) { code: 'CERT_HAS_EXPIRED' }",
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "db.example.com", port 5432 failed: SSL error: certificate has expired',
    },
  ],
  summary: chainSummary,
  buildFix: validityFix,
})

export const TLS_NOT_YET_VALID = define<ChainProblem>({
  code: 'TLS_NOT_YET_VALID',
  check: 'tls',
  status: 'fail',
  statusText: 'fail / warn',
  title: 'Certificate not valid yet',
  meaning: 'A certificate is not valid yet.',
  causes: [
    "this machine's clock is behind (containers, VMs after suspend)",
    'a certificate issued with a future start date',
  ],
  fix: 'Check the clocks, or re-issue it.',
  transient: false,
  matchers: ['certificate is not yet valid', 'CERT_NOT_YET_VALID'],
  examples: [{source: 'node-postgres', text: "Error: certificate is not yet valid { code: 'CERT_NOT_YET_VALID' }"}],
  summary: chainSummary,
  buildFix: validityFix,
})

export const TLS_EXPIRING_SOON = define<ExpiringSoon>({
  code: 'TLS_EXPIRING_SOON',
  check: 'tls',
  status: 'warn',
  title: 'Certificate expires soon',
  meaning: 'A certificate expires within 30 days.',
  causes: ['the renewal is not automated, or failed'],
  fix: 'Renew it.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! TLS certificate chain TLS_EXPIRING_SOON (41 ms)'}],
  summary: (p) =>
    `${trustProblemMessage(p.warning.detail)} After that, node-postgres ${p.verifies ? 'will refuse the connection ("certificate has expired")' : 'still connects (it does not verify), but the certificate is invalid'}.`,
  buildFix: (p) => {
    const w = p.warning
    return {
      summary:
        w.depth === 0
          ? 'Renew the server certificate before it expires.'
          : `Renew or replace the CA certificate "${w.subject}" before it expires.`,
      steps: [
        w.depth === 0
          ? 'Issue a new server certificate (same names: ' +
            (p.validNames.join(', ') || 'see the chain table') +
            ') and reload PostgreSQL (`SELECT pg_reload_conf()`): ssl_cert_file is re-read on reload.'
          : 'Get the renewed CA certificate and update the CA file the app trusts' +
            (p.caLabel ? ` (${p.caLabel})` : '') +
            '.',
        ...(p.provider ? [`${p.provider.name}: ${p.provider.caBundle.how}`] : []),
      ],
    }
  },
})

export const TLS_HANDSHAKE_FAILED = define<Handshake>({
  code: 'TLS_HANDSHAKE_FAILED',
  check: 'tls',
  status: 'fail',
  title: 'TLS handshake fails',
  meaning:
    'The handshake fails: no shared protocol version or cipher, not TLS, `sslnegotiation=direct` before PostgreSQL 17. The reason is shown.',
  causes: [
    "no shared protocol version (the app's `minVersion` vs the server's `ssl_min_protocol_version`)",
    'no shared cipher',
    '`sslnegotiation=direct` against a server before PostgreSQL 17',
  ],
  fix: "Align the app's `minVersion` / `maxVersion` / `ciphers` with the server's `ssl_min_protocol_version` / `ssl_ciphers`.",
  transient: false,
  matchers: [
    'wrong version number',
    'alert protocol version',
    'unsupported protocol',
    'no protocols available',
    'alert handshake failure',
    'no shared cipher',
    'ERR_SSL_',
    'Client network socket disconnected before secure TLS connection was established',
  ],
  examples: [
    {
      source: 'node',
      text: 'Error: C0CFE6D4F67F0000:error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 70',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "127.0.0.1", port 5432 failed: SSL error: unsupported protocol',
    },
    {source: 'node', text: 'Error: Client network socket disconnected before secure TLS connection was established'},
  ],
  summary: (p) => `The TLS handshake with ${p.address}:${p.port} failed: ${handshakeReason(p)}.`,
  buildFix: (p) => {
    const label = p.sslFrom ?? 'the ssl setting'
    const code = p.outcome === 'handshake-failed' ? p.errorCode : null
    const limits = [
      p.minVersion && `minVersion: '${p.minVersion}'`,
      p.maxVersion && `maxVersion: '${p.maxVersion}'`,
      p.ciphers && `ciphers: '${p.ciphers}'`,
    ].filter(Boolean)
    const steps: string[] = []
    if (limits.length)
      steps.push(
        `The app limits TLS with ${limits.join(', ')} (${label}): remove or widen it to what the server supports.`,
      )
    steps.push(
      'Check the server side: ssl_min_protocol_version, ssl_max_protocol_version and ssl_ciphers in postgresql.conf (SHOW ssl_min_protocol_version;). Node 20 speaks TLSv1.2 and TLSv1.3 by default.',
    )
    if (p.direct)
      steps.push(
        'sslnegotiation=direct needs PostgreSQL 17 or later on the server (and a pooler/proxy that supports it); otherwise remove sslnegotiation=direct.',
      )
    if (code && /WRONG_VERSION_NUMBER|UNEXPECTED_DATA|PACKET_LENGTH/.test(code))
      steps.push(
        'Make sure the host and port point at PostgreSQL itself (not an HTTP proxy or a load balancer terminating something else).',
      )
    return {summary: 'Make the client and server agree on a TLS version and cipher.', steps}
  },
})

export const TLS_HANDSHAKE_TIMEOUT = define<Handshake>({
  code: 'TLS_HANDSHAKE_TIMEOUT',
  check: 'tls',
  status: 'fail',
  title: 'TLS handshake does not finish',
  meaning:
    'The server accepted TLS, then the handshake did not finish within the step budget: a server or pooler overloaded or still starting, a path that drops large packets, or a peer that is not PostgreSQL. Waiting can fix it.',
  causes: [
    'a server, pooler or proxy overloaded or still starting',
    'a network path that drops large packets (MTU on a VPN or tunnel): the certificate chain is the first large one',
    'a peer that accepts TLS and is not PostgreSQL',
  ],
  fix: 'Retry (`db-doctor wait` does); if it persists, look at the load of the server or of the proxy in front of it, and at the path MTU.',
  transient: true,
  // No wording of its own to recognise: node-postgres says "timeout expired" / "Connection terminated due to
  // connection timeout" whichever step hung (the pg-connection-timeout explain hint).
  matchers: [],
  examples: [
    {
      source: 'db-doctor',
      text: '✗ TLS  TLS_HANDSHAKE_TIMEOUT  The TLS handshake with 10.0.0.5:5432 did not finish: no answer within 5000 ms (handshake).',
    },
  ],
  summary: (p) => `The TLS handshake with ${p.address}:${p.port} did not finish: ${handshakeReason(p)}.`,
  buildFix: (p) => ({
    summary: `Find out why ${p.address}:${p.port} accepts TLS and then stalls; waiting may be enough.`,
    steps: [
      'Run it again, or let `db-doctor wait` retry: a server, pooler or proxy that is starting or overloaded answers later.',
      `If it persists: the load of the server (and of any pooler or proxy in front of it), and its log around this time; a longer --timeout (it was ${p.timeoutMs} ms) tells a slow server from a stalled one.`,
      'Over a VPN, tunnel or overlay network: a path that drops large packets stalls at the certificate (the first large message); check the MTU (ping -M do -s 1400 HOST).',
    ],
  }),
})

export const tlsEntries = [
  TLS_NOT_SUPPORTED,
  TLS_SELF_SIGNED_CHAIN,
  TLS_SELF_SIGNED_CERT,
  TLS_UNTRUSTED_ISSUER,
  TLS_HOSTNAME_MISMATCH,
  TLS_EXPIRED,
  TLS_NOT_YET_VALID,
  TLS_EXPIRING_SOON,
  TLS_HANDSHAKE_FAILED,
  TLS_HANDSHAKE_TIMEOUT,
]
