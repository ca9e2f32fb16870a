// The demo server's certificates: a private root CA and a leaf for localhost, 127.0.0.1 and ::1,
// made in memory with @peculiar/x509 on Node's webcrypto (ECDSA P-256). Nothing leaves the demo's
// folder, and the CA's key is never written.
import {webcrypto} from 'node:crypto'
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'

const subtle = webcrypto.subtle as unknown as SubtleCrypto
const KEY = {name: 'ECDSA', namedCurve: 'P-256'} as const
const SIGN = {name: 'ECDSA', hash: 'SHA-256'} as const

function pem(der: ArrayBuffer, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  bytes[0] = (bytes[0]! & 0x7f) | 0x01
  return Buffer.from(bytes).toString('hex')
}

export interface DemoCerts {
  caPem: string
  certPem: string
  keyPem: string
}

/** A root CA named `caName` and a server certificate it signed, valid for a year (no expiry warning). */
export async function makeDemoCerts(caName: string): Promise<DemoCerts> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto)
  const notBefore = new Date(Date.now() - 60 * 60 * 1000)
  const notAfter = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000)
  const caKeys = (await subtle.generateKey(KEY, true, ['sign', 'verify'])) as CryptoKeyPair
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${caName}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })
  const leafKeys = (await subtle.generateKey(KEY, true, ['sign', 'verify'])) as CryptoKeyPair
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        {type: 'dns', value: 'localhost'},
        {type: 'ip', value: '127.0.0.1'},
        {type: 'ip', value: '::1'},
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  })
  return {
    caPem: ca.toString('pem') + '\n',
    certPem: leaf.toString('pem') + '\n',
    keyPem: pem((await subtle.exportKey('pkcs8', leafKeys.privateKey)) as ArrayBuffer, 'PRIVATE KEY'),
  }
}
