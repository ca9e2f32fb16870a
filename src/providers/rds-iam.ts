// RDS IAM authentication tokens, offline: the public parts of a SigV4 presigned `connect` query (the
// endpoint, user, region and dates it was signed for) and the region in an RDS host name. Pure; never
// returns the signature, the credential or a session token.
import {DEFAULT_PORT} from '../config/connection-keywords.js'

/** A SigV4 query parameter written raw (an encoded token has `X-Amz-Date%3D`). */
export const RAW_IAM_TOKEN = /[?&]X-Amz-(?:Credential|Signature|Date)=|[/?]\?Action=connect&/

interface IamToken {
  host: string
  port: string
  user: string | null
  region: string | null
  issuedAt: Date
  expiresSeconds: number
}

/** The public parts of an RDS IAM token, or null when the text is not one. Pure, bounded. */
export function parseIamToken(text: string): IamToken | null {
  if (text.length > 8192 || !text.includes('X-Amz-')) return null
  const token = text.replace(/^https?:\/\//i, '')
  const q = token.indexOf('/?')
  if (q <= 0) return null
  const params = new URLSearchParams(token.slice(q + 2))
  if (params.get('Action') !== 'connect') return null
  const endpoint = token.slice(0, q)
  const colon = endpoint.lastIndexOf(':')
  const host = colon > 0 ? endpoint.slice(0, colon) : endpoint
  const port = colon > 0 ? endpoint.slice(colon + 1) : String(DEFAULT_PORT)
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get('X-Amz-Date') ?? '')
  if (!date) return null
  const issuedAt = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!))
  const scope = (params.get('X-Amz-Credential') ?? '').split('/')
  const expires = Number(params.get('X-Amz-Expires') ?? '900')
  return {
    host,
    port,
    user: params.get('DBUser'),
    region: scope.length >= 5 ? scope[scope.length - 3]! : null,
    issuedAt,
    expiresSeconds: Number.isFinite(expires) ? expires : 900,
  }
}

/** The AWS region in an RDS host name (….eu-west-1.rds.amazonaws.com), or null. Pure. */
export function rdsRegion(host: string): string | null {
  const m = /\.([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]{4,10}-\d{1,2})\.rds\.amazonaws\.com(?:\.cn)?\.?$/i.exec(host)
  return m ? m[1]!.toLowerCase() : null
}
