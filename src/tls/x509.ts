// Pure certificate logic: describe a presented chain and verify it the way
// Node (OpenSSL under tls.connect) will verify it for node-postgres. No sockets,
// no file reads: callers hand in parsed certificates and the trust anchors.
import {X509Certificate} from 'node:crypto'
import {checkServerIdentity as nodeCheckServerIdentity, type PeerCertificate} from 'node:tls'

export {X509Certificate}

/** One row of the chain table: flat, JSON-plain, secret-free. */
export interface ChainRow {
  depth: number
  subject: string
  issuer: string
  sans: string
  notBefore: string
  notAfter: string
  key: string
  signature: string
  sha256: string
  selfSigned: boolean
  ca: boolean
  /** "trust anchor" (in the app's CA store), "verified" (on a path to one), or "no". */
  trusted: string
}

type TrustProblemCode =
  | 'TLS_SELF_SIGNED_CERT'
  | 'TLS_SELF_SIGNED_CHAIN'
  | 'TLS_UNTRUSTED_ISSUER'
  | 'TLS_EXPIRED'
  | 'TLS_NOT_YET_VALID'
  | 'TLS_HOSTNAME_MISMATCH'
  | 'TLS_EXPIRING_SOON'

/**
 * What was found, as data (src/catalogue/tls.ts words it). Certificates are named by one-line
 * subject; `ca` is null for the server certificate itself; dates are ISO strings.
 */
export type TrustProblemDetail =
  | {kind: 'no-certificate'}
  | {kind: 'trusted-ca-not-root'; ca: string; issuer: string}
  | {kind: 'self-signed-leaf'; subject: string}
  | {kind: 'self-signed-root'; root: string}
  | {kind: 'issuer-unknown'; subject: string; issuer: string}
  | {kind: 'not-yet-valid'; ca: string | null; notBefore: string}
  | {kind: 'expired'; ca: string | null; notAfter: string}
  | {kind: 'expiring'; ca: string | null; notAfter: string; days: number}
  | {kind: 'hostname'; identity: string; names: string[]}

export interface TrustProblem {
  code: TrustProblemCode
  /** The error Node reports for it (err.code in the app's stack trace). */
  nodeError: string
  detail: TrustProblemDetail
  /** Depth in the chain (0 = server certificate) the problem is about. */
  depth?: number
  subject?: string
}

interface VerifyInput {
  /** As presented: leaf first. */
  chain: X509Certificate[]
  /** The trust anchors the app's Node process uses. */
  anchors: X509Certificate[]
  /** Host name (or IP) checkServerIdentity receives; null when identity is not checked. */
  identity: string | null
  /** A custom checkServerIdentity from the app's ssl object (called like Node calls it). */
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined
  now?: Date
  /** ssl.allowPartialTrustChain: any certificate in the store may end the path. */
  partialChain?: boolean
  /** Warn threshold for expiry. */
  soonDays?: number
}

export interface VerifyResult {
  /** True when Node would report no verification error. */
  ok: boolean
  /** Errors in the order OpenSSL/Node would report them (first = what the app shows). */
  problems: TrustProblem[]
  /** Non-fatal findings (expiring soon). */
  warnings: TrustProblem[]
  /** The anchor that ended the path, when one did. */
  anchor?: {subject: string; sha256: string}
  /** The path as built (indices into chain; -1 for an anchor that was not presented). */
  pathDepths: number[]
  /** Names the leaf is valid for (SAN DNS and IP entries, else CN). */
  validNames: string[]
  /** True when the path reached a trust anchor (time and identity aside). */
  pathTrusted: boolean
}

// ---------------------------------------------------------------- description

const SIG_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
}

interface Tlv {
  tag: number
  start: number // first content byte
  end: number // one past the last content byte
}

function readTlv(buf: Uint8Array, at: number): Tlv {
  if (at + 2 > buf.length) throw new Error('truncated DER')
  const tag = buf[at]!
  let len = buf[at + 1]!
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('bad DER length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!
    start += n
  }
  const end = start + len
  if (end > buf.length) throw new Error('truncated DER')
  return {tag, start, end}
}

function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) return ''
  const first = bytes[0]!
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40]
  let v = 0
  for (let i = 1; i < bytes.length; i++) {
    v = v * 128 + (bytes[i]! & 0x7f)
    if (!(bytes[i]! & 0x80)) {
      parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

/** The outer signatureAlgorithm OID of a DER certificate (Node 20's X509Certificate lacks it). */
export function signatureAlgorithmOid(der: Uint8Array): string | null {
  try {
    const cert = readTlv(der, 0) // Certificate SEQUENCE
    const tbs = readTlv(der, cert.start) // tbsCertificate SEQUENCE
    const algId = readTlv(der, tbs.end) // AlgorithmIdentifier SEQUENCE
    const oid = readTlv(der, algId.start)
    if (oid.tag !== 0x06) return null
    return decodeOid(der.subarray(oid.start, oid.end))
  } catch {
    return null
  }
}

export function signatureAlgorithmName(der: Uint8Array): string {
  const oid = signatureAlgorithmOid(der)
  if (!oid) return 'unknown'
  return SIG_OIDS[oid] ?? oid
}

/** "RSA 2048", "EC P-256", "Ed25519". */
function describeKey(cert: X509Certificate): string {
  const key = cert.publicKey
  const type = key.asymmetricKeyType ?? 'unknown'
  const d = key.asymmetricKeyDetails ?? {}
  if (type === 'rsa' || type === 'rsa-pss') return `${type.toUpperCase()} ${d.modulusLength ?? '?'}`
  if (type === 'ec')
    return `EC ${d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve === 'secp521r1' ? 'P-521' : (d.namedCurve ?? '?')}`
  if (type === 'ed25519') return 'Ed25519'
  if (type === 'ed448') return 'Ed448'
  return type
}

/** A one-line DN: "CN=db.example.com, O=Example" (Node gives "CN=…\nO=…"). */
function oneLineDn(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ')
}

function commonName(dn: string): string | undefined {
  for (const line of dn.split('\n')) if (line.startsWith('CN=')) return line.slice(3)
  return undefined
}

function isSelfSigned(cert: X509Certificate): boolean {
  if (!cert.checkIssued(cert)) return false
  try {
    return cert.verify(cert.publicKey)
  } catch {
    return false
  }
}

/** True when `issuer` issued `cert` (names match and the signature verifies). */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  if (!cert.checkIssued(issuer)) return false
  try {
    return cert.verify(issuer.publicKey)
  } catch {
    return false
  }
}

function dates(cert: X509Certificate): {notBefore: Date; notAfter: Date} {
  return {notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo)}
}

/** SAN entries as "DNS:a, IP Address:1.2.3.4"; empty string when none. */
function sanList(cert: X509Certificate): string[] {
  const raw = cert.subjectAltName
  if (!raw) return []
  return raw
    .split(/,\s*/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Names a certificate is valid for, the way checkServerIdentity looks at them. */
export function validNames(cert: X509Certificate): string[] {
  const sans = sanList(cert)
  const names: string[] = []
  for (const s of sans) {
    if (s.startsWith('DNS:')) names.push(s.slice(4))
    else if (s.startsWith('IP Address:')) names.push(s.slice(11))
  }
  if (names.length === 0 && !sans.some((s) => s.startsWith('DNS:'))) {
    const cn = commonName(cert.subject)
    if (cn) names.push(cn)
  }
  return names
}

export function describeChain(
  chain: X509Certificate[],
  trusted: (c: X509Certificate, depth: number) => string = () => 'no',
): ChainRow[] {
  return chain.map((cert, depth) => {
    const {notBefore, notAfter} = dates(cert)
    return {
      depth,
      subject: oneLineDn(cert.subject),
      issuer: oneLineDn(cert.issuer),
      sans: sanList(cert).join(', '),
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      key: describeKey(cert),
      signature: signatureAlgorithmName(cert.raw),
      sha256: cert.fingerprint256,
      selfSigned: isSelfSigned(cert),
      ca: cert.ca,
      trusted: trusted(cert, depth),
    }
  })
}

// ---------------------------------------------------------------- verification

/** Indexes anchors by subject for issuer lookups. */
export class TrustStore {
  private readonly bySubject = new Map<string, X509Certificate[]>()
  private readonly fingerprints = new Set<string>()

  constructor(readonly anchors: X509Certificate[]) {
    for (const a of anchors) {
      if (this.fingerprints.has(a.fingerprint256)) continue
      this.fingerprints.add(a.fingerprint256)
      const list = this.bySubject.get(a.subject) ?? []
      list.push(a)
      this.bySubject.set(a.subject, list)
    }
  }

  has(cert: X509Certificate): boolean {
    return this.fingerprints.has(cert.fingerprint256)
  }

  issuerOf(cert: X509Certificate): X509Certificate | undefined {
    return (this.bySubject.get(cert.issuer) ?? []).find((a) => issuedBy(cert, a))
  }

  get size(): number {
    return this.fingerprints.size
  }
}

const DAY = 24 * 60 * 60 * 1000

/**
 * Verifies a presented chain as OpenSSL does for Node's tls.connect: build a path from the
 * leaf through presented certificates to a trust anchor, then check validity periods, then
 * (only when the chain verified) the server identity. `problems[0]` is what the app reports.
 */
export function verifyChain(input: VerifyInput, store: TrustStore = new TrustStore(input.anchors)): VerifyResult {
  const now = input.now ?? new Date()
  const soon = (input.soonDays ?? 30) * DAY
  const leaf = input.chain[0]
  if (!leaf) {
    return {
      ok: false,
      problems: [
        {code: 'TLS_UNTRUSTED_ISSUER', nodeError: 'UNABLE_TO_GET_ISSUER_CERT', detail: {kind: 'no-certificate'}},
      ],
      warnings: [],
      pathDepths: [],
      validNames: [],
      pathTrusted: false,
    }
  }
  const {path, pathDepths, anchor, trustProblem} = buildPath(leaf, input.chain, store, input.partialChain)
  const {problems, warnings} = validityProblems(path, pathDepths, now, soon)
  if (trustProblem) problems.push(trustProblem)
  // 3. identity, only when the chain verified (Node skips it otherwise)
  const names = validNames(leaf)
  if (problems.length === 0 && input.identity !== null) {
    const mismatch = identityProblem(leaf, input.identity, input.checkServerIdentity, names)
    if (mismatch) problems.push(mismatch)
  }
  return {
    ok: problems.length === 0,
    problems,
    warnings,
    anchor: anchor ? {subject: oneLineDn(anchor.subject), sha256: anchor.fingerprint256} : undefined,
    pathDepths,
    validNames: names,
    pathTrusted: !trustProblem && anchor !== undefined,
  }
}

/** The path from the leaf toward a trust anchor, with each certificate's depth in the presented chain. */
interface ChainPath {
  path: X509Certificate[]
  pathDepths: number[]
  anchor?: X509Certificate
  /** why the path ends without an anchor */
  trustProblem?: TrustProblem
}

/**
 * 1. path building. Issuers are looked up in the trust store first (OpenSSL's default
 * X509_V_FLAG_TRUSTED_FIRST), then among the presented certificates. The path is trusted
 * when it reaches a self-signed certificate from the store (or any store certificate
 * when partial chains are allowed).
 */
function buildPath(
  leaf: X509Certificate,
  chain: readonly X509Certificate[],
  store: TrustStore,
  partialChain: boolean | undefined,
): ChainPath {
  const path: X509Certificate[] = [leaf]
  const pathDepths = [0]
  const used = new Set<string>([leaf.fingerprint256])
  const depthOf = (c: X509Certificate) => chain.findIndex((x) => x.fingerprint256 === c.fingerprint256)
  for (;;) {
    const current = path[path.length - 1]!
    if (store.has(current) && (isSelfSigned(current) || partialChain)) return {path, pathDepths, anchor: current}
    const fromStore = store.issuerOf(current)
    const next =
      fromStore && !used.has(fromStore.fingerprint256)
        ? fromStore
        : store.has(current) || isSelfSigned(current)
          ? undefined
          : chain.find((c) => !used.has(c.fingerprint256) && issuedBy(current, c))
    if (!next) return {path, pathDepths, trustProblem: deadEnd(current, path.length, pathDepths.at(-1)!, store)}
    used.add(next.fingerprint256)
    path.push(next)
    pathDepths.push(depthOf(next))
  }
}

/** Why the path stops at `current` (at `depth`, the path `length` long) without a trust anchor. */
function deadEnd(current: X509Certificate, length: number, depth: number, store: TrustStore): TrustProblem {
  // Once the path reaches a trusted certificate that is not a root (an intermediate given as
  // the CA), OpenSSL looks for its issuer among the trusted ones only, even when the server
  // sends the root: measured with Node 20, "unable to get issuer certificate".
  if (store.has(current) && !isSelfSigned(current))
    return {
      code: 'TLS_UNTRUSTED_ISSUER',
      nodeError: 'UNABLE_TO_GET_ISSUER_CERT',
      detail: {kind: 'trusted-ca-not-root', ca: oneLineDn(current.subject), issuer: oneLineDn(current.issuer)},
      depth,
      subject: oneLineDn(current.issuer),
    }
  if (isSelfSigned(current))
    return length === 1
      ? {
          code: 'TLS_SELF_SIGNED_CERT',
          nodeError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
          detail: {kind: 'self-signed-leaf', subject: oneLineDn(current.subject)},
          depth,
          subject: oneLineDn(current.subject),
        }
      : {
          code: 'TLS_SELF_SIGNED_CHAIN',
          nodeError: 'SELF_SIGNED_CERT_IN_CHAIN',
          detail: {kind: 'self-signed-root', root: oneLineDn(current.subject)},
          depth,
          subject: oneLineDn(current.subject),
        }
  return {
    code: 'TLS_UNTRUSTED_ISSUER',
    nodeError: length === 1 ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    detail: {kind: 'issuer-unknown', subject: oneLineDn(current.subject), issuer: oneLineDn(current.issuer)},
    depth,
    subject: oneLineDn(current.issuer),
  }
}

/**
 * 2. validity periods of every certificate in the path (OpenSSL checks them after path
 * building; with Node's callback the LAST error wins, so a time error is what the app sees).
 * OpenSSL walks the path from the anchor down to the leaf: the leaf's error is the last one.
 */
function validityProblems(
  path: readonly X509Certificate[],
  pathDepths: readonly number[],
  now: Date,
  soon: number,
): {problems: TrustProblem[]; warnings: TrustProblem[]} {
  const timeProblems: TrustProblem[] = []
  const warnings: TrustProblem[] = []
  path.forEach((cert, i) => {
    const {notBefore, notAfter} = dates(cert)
    const depth = pathDepths[i]!
    const ca = i === 0 ? null : oneLineDn(cert.subject)
    if (now < notBefore) {
      timeProblems.push({
        code: 'TLS_NOT_YET_VALID',
        nodeError: 'CERT_NOT_YET_VALID',
        detail: {kind: 'not-yet-valid', ca, notBefore: notBefore.toISOString()},
        depth,
        subject: oneLineDn(cert.subject),
      })
    } else if (now > notAfter) {
      timeProblems.push({
        code: 'TLS_EXPIRED',
        nodeError: 'CERT_HAS_EXPIRED',
        detail: {kind: 'expired', ca, notAfter: notAfter.toISOString()},
        depth,
        subject: oneLineDn(cert.subject),
      })
    } else if (notAfter.getTime() - now.getTime() < soon) {
      const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY)
      warnings.push({
        code: 'TLS_EXPIRING_SOON',
        nodeError: '',
        detail: {kind: 'expiring', ca, notAfter: notAfter.toISOString(), days},
        depth,
        subject: oneLineDn(cert.subject),
      })
    }
  })
  return {problems: timeProblems.reverse(), warnings}
}

/** TLS_HOSTNAME_MISMATCH when Node's checkServerIdentity (or the app's) refuses `identity` for the leaf. */
function identityProblem(
  leaf: X509Certificate,
  identity: string,
  check: VerifyInput['checkServerIdentity'],
  names: ReturnType<typeof validNames>,
): TrustProblem | undefined {
  const legacy = leaf.toLegacyObject() as PeerCertificate
  let err: Error | undefined
  try {
    err = (check ?? nodeCheckServerIdentity)(identity, legacy)
  } catch (e) {
    err = e as Error
  }
  if (!err) return undefined
  return {
    code: 'TLS_HOSTNAME_MISMATCH',
    nodeError: 'ERR_TLS_CERT_ALTNAME_INVALID',
    detail: {kind: 'hostname', identity, names},
    depth: 0,
    subject: oneLineDn(leaf.subject),
  }
}

/**
 * Whether the identity check would fail regardless of trust (for reporting a second problem
 * alongside a trust failure: Node only reports the first).
 */
export function identityMismatch(leaf: X509Certificate, identity: string): string | null {
  const err = nodeCheckServerIdentity(identity, leaf.toLegacyObject() as PeerCertificate)
  return err ? err.message : null
}

/** Splits a PEM bundle (string or Buffer, or arrays of them) into certificates; ignores junk. */
export function parsePemBundle(input: unknown): X509Certificate[] {
  const parts: string[] = []
  const add = (v: unknown) => {
    if (typeof v === 'string') parts.push(v)
    else if (Buffer.isBuffer(v)) parts.push(v.toString('utf8'))
    else if (Array.isArray(v)) v.forEach(add)
  }
  add(input)
  const out: X509Certificate[] = []
  for (const text of parts) {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    for (const b of blocks) {
      try {
        out.push(new X509Certificate(b))
      } catch {
        // not a certificate we can parse: OpenSSL would skip it too
      }
    }
  }
  return out
}
