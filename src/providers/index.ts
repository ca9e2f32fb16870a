// Pure recognition of managed PostgreSQL providers from the host name and the presented
// chain, with the CA bundle to get and where it comes from. Only facts the providers
// document; nothing is ever fetched. Their names, how to get the CA and what to know are
// words: src/catalogue/providers.ts.

export type ProviderId = 'aws-rds' | 'azure' | 'gcp-cloudsql' | 'aiven' | 'supabase'

/** A provider recognised, with the CA file to trust (its name, how to get it and its notes are in src/catalogue/providers.ts). */
export interface ProviderMatch {
  id: ProviderId
  /** What gave it away: "host name db.x.rds.amazonaws.com", `certificate "Amazon RDS …"`. */
  recognizedBy: string
  /** The CA file to trust, and where the provider publishes it when it does. */
  caBundle: {file: string; url?: string}
}

interface ProviderInput {
  host: string | null | undefined
  /** Subjects and issuers of the presented chain (one-line DNs), leaf first. */
  chain: {subject: string; issuer: string}[]
}

interface Rule {
  id: ProviderId
  hosts: RegExp[]
  issuers: RegExp[]
  caBundle: ProviderMatch['caBundle']
}

const RULES: Rule[] = [
  {
    // Amazon RDS / Aurora
    id: 'aws-rds',
    hosts: [/\.rds\.amazonaws\.com$/i, /\.rds\.amazonaws\.com\.cn$/i],
    issuers: [/Amazon RDS\b/i],
    caBundle: {file: 'global-bundle.pem', url: 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem'},
  },
  {
    id: 'azure',
    hosts: [/\.postgres\.database\.azure\.com$/i, /\.postgres\.database\.chinacloudapi\.cn$/i],
    issuers: [/Microsoft Azure .*TLS Issuing CA/i],
    caBundle: {file: 'DigiCertGlobalRootG2.crt.pem', url: 'https://cacerts.digicert.com/DigiCertGlobalRootG2.crt.pem'},
  },
  {id: 'gcp-cloudsql', hosts: [], issuers: [/Google Cloud SQL Server CA/i], caBundle: {file: 'server-ca.pem'}},
  {id: 'aiven', hosts: [/\.aivencloud\.com$/i], issuers: [/Aiven/i], caBundle: {file: 'ca.pem'}},
  {
    id: 'supabase',
    hosts: [/\.supabase\.co$/i, /\.supabase\.com$/i],
    issuers: [/Supabase/i],
    caBundle: {file: 'prod-ca-2021.crt'},
  },
]

function cn(dn: string): string {
  const m = /(?:^|,\s*)CN=([^,]+)/.exec(dn)
  return m ? m[1]!.trim() : dn
}

export function recognizeProvider(input: ProviderInput): ProviderMatch | null {
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

function info(rule: Rule, recognizedBy: string): ProviderMatch {
  return {id: rule.id, recognizedBy, caBundle: {...rule.caBundle}}
}
