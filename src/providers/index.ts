// Pure recognition of managed PostgreSQL providers from the host name and the presented
// chain, with the CA bundle to get and where it comes from. Only facts the providers
// document; nothing is ever fetched.

type ProviderId = 'aws-rds' | 'azure' | 'gcp-cloudsql' | 'aiven' | 'supabase'

export interface ProviderInfo {
  id: ProviderId
  name: string
  /** What gave it away: "host name *.rds.amazonaws.com", "issuer Amazon RDS …". */
  recognizedBy: string
  /** The CA file to trust and how to get it. */
  caBundle: {file: string; how: string; url?: string}
  /** One-line facts worth knowing when the chain fails. */
  notes: string[]
}

interface ProviderInput {
  host: string | null | undefined
  /** Subjects and issuers of the presented chain (one-line DNs), leaf first. */
  chain: {subject: string; issuer: string}[]
}

interface Rule {
  id: ProviderId
  name: string
  hosts: RegExp[]
  issuers: RegExp[]
  caBundle: ProviderInfo['caBundle']
  notes: string[]
}

const RULES: Rule[] = [
  {
    id: 'aws-rds',
    name: 'Amazon RDS / Aurora',
    hosts: [/\.rds\.amazonaws\.com$/i, /\.rds\.amazonaws\.com\.cn$/i],
    issuers: [/Amazon RDS\b/i],
    caBundle: {
      file: 'global-bundle.pem',
      url: 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem',
      how: 'Download the RDS global certificate bundle (all regions, all RDS CAs: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1).',
    },
    notes: [
      'RDS server certificates are issued by "Amazon RDS <region> Root CA …" CAs, which are not in Node\'s bundled CA list: the bundle must be supplied.',
    ],
  },
  {
    id: 'azure',
    name: 'Azure Database for PostgreSQL',
    hosts: [/\.postgres\.database\.azure\.com$/i, /\.postgres\.database\.chinacloudapi\.cn$/i],
    issuers: [/Microsoft Azure .*TLS Issuing CA/i],
    caBundle: {
      file: 'DigiCertGlobalRootG2.crt.pem (plus Microsoft RSA Root Certificate Authority 2017)',
      url: 'https://cacerts.digicert.com/DigiCertGlobalRootG2.crt.pem',
      how: "Azure's chain ends in public roots (DigiCert Global Root G2, Microsoft RSA Root Certificate Authority 2017) that Node already trusts: an explicit ssl.ca REPLACES Node's list, so either drop it or include both roots.",
    },
    notes: ['Azure rotates intermediate certificates; never pin an intermediate, only the roots.'],
  },
  {
    id: 'gcp-cloudsql',
    name: 'Google Cloud SQL',
    hosts: [],
    issuers: [/Google Cloud SQL Server CA/i],
    caBundle: {
      file: 'server-ca.pem',
      how: "Download the instance's server CA certificate (Cloud console → the instance → Connections → Security, or `gcloud sql ssl server-ca-certs list --instance=INSTANCE`).",
    },
    notes: ['Cloud SQL server CAs are private to the instance or project: Node never trusts them by default.'],
  },
  {
    id: 'aiven',
    name: 'Aiven for PostgreSQL',
    hosts: [/\.aivencloud\.com$/i],
    issuers: [/Aiven/i],
    caBundle: {
      file: 'ca.pem',
      how: 'Download the project CA certificate from the service overview page in the Aiven console (every Aiven project has its own private CA).',
    },
    notes: [
      'Aiven servers present their project CA root in the chain; it is private, so Node reports "self-signed certificate in certificate chain" until ca.pem is supplied.',
    ],
  },
  {
    id: 'supabase',
    name: 'Supabase',
    hosts: [/\.supabase\.co$/i, /\.supabase\.com$/i],
    issuers: [/Supabase/i],
    caBundle: {
      file: 'prod-ca-2021.crt',
      how: 'Download the certificate from the Supabase dashboard: Project Settings → Database → SSL Configuration → Download certificate.',
    },
    notes: ['The Supabase root ("Supabase Root 2021 CA") is private: Node does not trust it by default.'],
  },
]

function cn(dn: string): string {
  const m = /(?:^|,\s*)CN=([^,]+)/.exec(dn)
  return m ? m[1]!.trim() : dn
}

export function recognizeProvider(input: ProviderInput): ProviderInfo | null {
  const host = input.host?.trim().replace(/\.$/, '') ?? ''
  for (const rule of RULES) {
    const byHost = host ? rule.hosts.find((re) => re.test(host)) : undefined
    if (byHost) return info(rule, `host name ${host}`)
  }
  for (const rule of RULES) {
    for (const c of input.chain) {
      for (const dn of [c.issuer, c.subject]) {
        if (rule.issuers.some((re) => re.test(dn))) return info(rule, `certificate "${cn(dn)}"`)
      }
    }
  }
  return null
}

function info(rule: Rule, recognizedBy: string): ProviderInfo {
  return {id: rule.id, name: rule.name, recognizedBy, caBundle: {...rule.caBundle}, notes: [...rule.notes]}
}
