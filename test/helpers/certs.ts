// Test certificate factory: CAs, intermediates and leaves built with @peculiar/x509 on Node's webcrypto.
// Keys are ECDSA P-256 by default (fast); RSA 2048 on request. Everything is in memory until
// writeTlsFiles() puts it on disk.

import {X509Certificate as NodeX509, createPrivateKey, randomBytes, webcrypto} from 'node:crypto'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import type * as X509 from '@peculiar/x509'
import 'reflect-metadata'

// @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill loaded first.
const x509 = createRequire(import.meta.url)('@peculiar/x509') as typeof X509

const subtle = webcrypto.subtle as unknown as SubtleCrypto
x509.cryptoProvider.set(webcrypto as unknown as Crypto)

export interface Issued {
  certPem: string
  keyPem: string
  cert: NodeX509
  subject: string
}

type KeyType = 'ec' | 'rsa'

const EC_GEN = {name: 'ECDSA', namedCurve: 'P-256'} as const
const RSA_GEN = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const

function signingAlgorithm(type: KeyType): Algorithm | EcdsaParams {
  return type === 'ec' ? ({name: 'ECDSA', hash: 'SHA-256'} as EcdsaParams) : {name: 'RSASSA-PKCS1-v1_5'}
}

async function generateKeys(type: KeyType): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(type === 'ec' ? EC_GEN : RSA_GEN, true, ['sign', 'verify'])) as CryptoKeyPair
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64')
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return toPem((await subtle.exportKey('pkcs8', key)) as ArrayBuffer, 'PRIVATE KEY')
}

/** Imports an issuer's private key from its PEM so any Issued (even one rebuilt from files) can sign. */
async function importSigningKey(keyPem: string): Promise<{key: CryptoKey; type: KeyType}> {
  const nodeKey = createPrivateKey(keyPem)
  const type: KeyType = nodeKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa'
  const der = nodeKey.export({format: 'der', type: 'pkcs8'})
  const key = await subtle.importKey(
    'pkcs8',
    der,
    type === 'ec' ? EC_GEN : {name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256'},
    false,
    ['sign'],
  )
  return {key, type}
}

function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f || 0x01 // positive, no leading zero byte
  return bytes.toString('hex')
}

function defaultDates(notBefore?: Date, notAfter?: Date): {notBefore: Date; notAfter: Date} {
  const nb = notBefore ?? new Date(Date.now() - 60 * 60 * 1000)
  const na = notAfter ?? new Date(nb.getTime() + 365 * 24 * 60 * 60 * 1000)
  return {notBefore: nb, notAfter: na}
}

function sanExtension(dnsNames: string[] = [], ipAddresses: string[] = []): X509.Extension | null {
  const names: X509.JsonGeneralName[] = [
    ...dnsNames.map((value) => ({type: 'dns' as const, value})),
    ...ipAddresses.map((value) => ({type: 'ip' as const, value})),
  ]
  return names.length ? new x509.SubjectAlternativeNameExtension(names, false) : null
}

function finish(cert: X509.X509Certificate, keyPem: string): Issued {
  const certPem = cert.toString('pem') + '\n'
  const nodeCert = new NodeX509(certPem)
  return {certPem, keyPem, cert: nodeCert, subject: nodeCert.subject}
}

interface BuildOpts {
  commonName: string
  isCa: boolean
  keyType: KeyType
  issuer?: Issued
  dnsNames?: string[]
  ipAddresses?: string[]
  notBefore?: Date
  notAfter?: Date
}

async function build(opts: BuildOpts): Promise<Issued> {
  const keys = await generateKeys(opts.keyType)
  const dates = defaultDates(opts.notBefore, opts.notAfter)
  const name = [{CN: [opts.commonName]}]

  let signingKey = keys.privateKey
  let signType = opts.keyType
  let issuerName: X509.X509CertificateCreateParamsName = name
  let issuerPublicKey: CryptoKey | X509.PublicKey = keys.publicKey
  if (opts.issuer) {
    const issuerCert = new x509.X509Certificate(opts.issuer.certPem)
    const imported = await importSigningKey(opts.issuer.keyPem)
    signingKey = imported.key
    signType = imported.type
    issuerName = issuerCert.subjectName
    issuerPublicKey = issuerCert.publicKey
  }

  const extensions: X509.Extension[] = [new x509.BasicConstraintsExtension(opts.isCa, undefined, true)]
  // A self-signed end-entity gets no keyUsage: OpenSSL only treats a cert as its own issuer
  // (and so as a usable trust anchor) when keyUsage is absent or includes keyCertSign.
  if (opts.isCa || opts.issuer) {
    extensions.push(
      new x509.KeyUsagesExtension(
        opts.isCa
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
          : opts.keyType === 'ec'
            ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement
            : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
    )
  }
  extensions.push(
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuerPublicKey),
  )
  if (!opts.isCa) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    )
  }
  const san = sanExtension(opts.dnsNames, opts.ipAddresses)
  if (san) extensions.push(san)

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: issuerName,
    notBefore: dates.notBefore,
    notAfter: dates.notAfter,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: signingAlgorithm(signType),
    extensions,
  })
  return finish(cert, await exportKeyPem(keys.privateKey))
}

/** A self-signed root CA when no issuer is given, else an intermediate CA signed by `issuer`. */
export function createCa(opts: {
  commonName: string
  issuer?: Issued
  notBefore?: Date
  notAfter?: Date
  keyType?: KeyType
}): Promise<Issued> {
  return build({...opts, isCa: true, keyType: opts.keyType ?? 'ec'})
}

/** An end-entity (server/client) certificate signed by `issuer`. */
export function createLeaf(opts: {
  commonName: string
  dnsNames?: string[]
  ipAddresses?: string[]
  issuer: Issued
  notBefore?: Date
  notAfter?: Date
  keyType?: KeyType
}): Promise<Issued> {
  return build({...opts, isCa: false, keyType: opts.keyType ?? 'ec'})
}

/** A self-signed end-entity certificate (CA:FALSE), as `openssl req -x509` users often make. */
export function createSelfSignedLeaf(opts: {
  commonName: string
  dnsNames?: string[]
  ipAddresses?: string[]
  notBefore?: Date
  notAfter?: Date
}): Promise<Issued> {
  return build({...opts, isCa: false, keyType: 'ec'})
}

/**
 * Writes PEM files into `dir` (created if needed). Returns name -> absolute path.
 * Files whose name or content marks them as a private key get mode 0600; others get `mode` (default 0644).
 */
export function writeTlsFiles(dir: string, files: Record<string, string>, mode = 0o644): Record<string, string> {
  mkdirSync(dir, {recursive: true})
  const out: Record<string, string> = {}
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name)
    const isKey = /key/i.test(name) || content.includes('PRIVATE KEY-----')
    writeFileSync(path, content, {mode: isKey ? 0o600 : mode})
    chmodSync(path, isKey ? 0o600 : mode)
    out[name] = path
  }
  return out
}
