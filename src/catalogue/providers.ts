// The managed PostgreSQL providers db-doctor recognises (src/providers/index.ts), in words: their names,
// how to get the CA file to trust, and what to know when their chain fails. Only facts the providers document.
import type {ProviderId, ProviderMatch} from '../providers/index.js'

/** A recognised provider with its words: what the tls check's evidence and fixes show. */
export interface ProviderInfo {
  id: ProviderId
  name: string
  /** What gave it away: "host name db.x.rds.amazonaws.com", `certificate "Amazon RDS …"`. */
  recognizedBy: string
  /** The CA file to trust and how to get it. */
  caBundle: {file: string; how: string; url?: string}
  /** One-line facts worth knowing when the chain fails. */
  notes: string[]
}

interface ProviderWords {
  name: string
  how: string
  notes: string[]
  /** said after the file's name: the other root a bundle needs */
  fileNote?: string
}

const WORDS: Record<ProviderId, ProviderWords> = {
  'aws-rds': {
    name: 'Amazon RDS / Aurora',
    how: 'Download the RDS global certificate bundle (all regions, all RDS CAs: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1).',
    notes: [
      'RDS server certificates are issued by "Amazon RDS <region> Root CA …" CAs, which are not in Node\'s bundled CA list: the bundle must be supplied.',
    ],
  },
  azure: {
    name: 'Azure Database for PostgreSQL',
    fileNote: ' (plus Microsoft RSA Root Certificate Authority 2017)',
    how: "Azure's chain ends in public roots (DigiCert Global Root G2, Microsoft RSA Root Certificate Authority 2017) that Node already trusts: an explicit ssl.ca REPLACES Node's list, so either drop it or include both roots.",
    notes: ['Azure rotates intermediate certificates; never pin an intermediate, only the roots.'],
  },
  'gcp-cloudsql': {
    name: 'Google Cloud SQL',
    how: "Download the instance's server CA certificate (Cloud console → the instance → Connections → Security, or `gcloud sql ssl server-ca-certs list --instance=INSTANCE`).",
    notes: ['Cloud SQL server CAs are private to the instance or project: Node never trusts them by default.'],
  },
  aiven: {
    name: 'Aiven for PostgreSQL',
    how: 'Download the project CA certificate from the service overview page in the Aiven console (every Aiven project has its own private CA).',
    notes: [
      'Aiven servers present their project CA root in the chain; it is private, so Node reports "self-signed certificate in certificate chain" until ca.pem is supplied.',
    ],
  },
  supabase: {
    name: 'Supabase',
    how: 'Download the certificate from the Supabase dashboard: Project Settings → Database → SSL Configuration → Download certificate.',
    notes: ['The Supabase root ("Supabase Root 2021 CA") is private: Node does not trust it by default.'],
  },
}

/** The provider recognised, with its words. */
export function providerInfo(m: ProviderMatch): ProviderInfo {
  const w = WORDS[m.id]
  return {
    id: m.id,
    name: w.name,
    recognizedBy: m.recognizedBy,
    caBundle: {
      file: `${m.caBundle.file}${w.fileNote ?? ''}`,
      how: w.how,
      ...(m.caBundle.url ? {url: m.caBundle.url} : {}),
    },
    notes: [...w.notes],
  }
}
