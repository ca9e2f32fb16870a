// An RDS IAM token used as the password, read offline: when it was issued and for how long, the
// endpoint, region and user it was signed for, and whether it sits raw inside a URL. Pure; the words
// are in src/catalogue/iam.ts. Only the token's public parts (host, port, region, user, dates) reach
// the evidence, never its signature, credential or session token.
import type {ResolvedConfig} from '../config/types.js'
import {DEFAULT_PORT} from '../config/connection-keywords.js'
import {startsWithPostgresScheme} from '../config/connection-string.js'
import {
  CONFIG_IAM_TOKEN_EXPIRED,
  CONFIG_IAM_TOKEN_MISMATCH,
  CONFIG_IAM_TOKEN_NOT_URL_ENCODED,
  iamEvidence,
} from '../catalogue/iam.js'
import type {Finding} from './findings.js'
import {RAW_IAM_TOKEN, parseIamToken, rdsRegion} from '../providers/rds-iam.js'

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

export function iamTokenFindings(config: ResolvedConfig, now: number): Finding[] {
  const cs = config.connectionString
  if (cs && startsWithPostgresScheme(cs.value) && RAW_IAM_TOKEN.test(cs.value)) {
    return [CONFIG_IAM_TOKEN_NOT_URL_ENCODED.finding({urlFrom: cs.source.label}, {connectionString: cs.source.label})]
  }
  const password = config.fields.password
  if (!password) return []
  const token = parseIamToken(password.value)
  if (!token) return []
  const out: Finding[] = []
  const f = config.fields
  const expiresAt = new Date(token.issuedAt.getTime() + token.expiresSeconds * 1000)
  const evidence = {
    token: iamEvidence.token(),
    signedForEndpoint: `${token.host}:${token.port}`,
    signedForUser: token.user,
    signedRegion: token.region,
    issuedAt: iso(token.issuedAt),
    expiresAt: iso(expiresAt),
    passwordFrom: password.source.label,
  }
  if (expiresAt.getTime() < now) {
    out.push(
      CONFIG_IAM_TOKEN_EXPIRED.finding(
        {
          issuedAt: iso(token.issuedAt),
          expiresAt: iso(expiresAt),
          minutesAgo: Math.floor((now - expiresAt.getTime()) / 60_000),
          passwordFrom: password.source.label,
        },
        evidence,
      ),
    )
  }
  const host = f.host?.value ?? 'localhost'
  const port = f.port?.value ?? String(DEFAULT_PORT)
  const mismatches: {field: 'host' | 'port' | 'region' | 'user'; signed: string; used: string}[] = []
  if (token.host.toLowerCase().replace(/\.$/, '') !== host.toLowerCase().replace(/\.$/, ''))
    mismatches.push({field: 'host', signed: token.host, used: host})
  if (token.port !== port) mismatches.push({field: 'port', signed: token.port, used: port})
  const hostRegion = rdsRegion(host)
  if (token.region && hostRegion && token.region !== hostRegion)
    mismatches.push({field: 'region', signed: token.region, used: hostRegion})
  if (token.user !== null && f.user && token.user !== f.user.value)
    mismatches.push({field: 'user', signed: token.user, used: f.user.value})
  if (mismatches.length)
    out.push(CONFIG_IAM_TOKEN_MISMATCH.finding({mismatches, passwordFrom: password.source.label}, evidence))
  return out
}
