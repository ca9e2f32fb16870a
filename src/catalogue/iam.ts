// RDS IAM authentication tokens used as the password, read offline (config check): a token is a SigV4
// presigned query — `host:port/?Action=connect&DBUser=…&X-Amz-Credential=…/<date>/<region>/rds-db/aws4_request
// &X-Amz-Date=…&X-Amz-Expires=…&X-Amz-Signature=…` — and the server only answers "PAM authentication
// failed" for every way it can be wrong. db-doctor never prints the signature or the credential.
import type {Fix} from '../core/types.js'
import {define, messages} from './types.js'

/** The evidence lines of an IAM token finding that are words. */
export const iamEvidence = messages({
  token: () => 'RDS IAM authentication token (SigV4 presigned query)',
})

type TokenExpiredParams = {
  issuedAt: string
  expiresAt: string
  /** minutes since it expired */
  minutesAgo: number
  passwordFrom: string
}

type TokenMismatchParams = {
  /** what the token was signed for and what the app connects to */
  mismatches: {field: 'host' | 'port' | 'region' | 'user'; signed: string; used: string}[]
  passwordFrom: string
}

type TokenNotEncodedParams = {urlFrom: string}

const GENERATE = 'aws rds generate-db-auth-token --hostname <host> --port <port> --region <region> --username <user>'

const IAM_CAUSES_NOTE = 'every one of these is answered by the server with "PAM authentication failed for user"'

const CONFIG_IAM_TOKEN_EXPIRED = define<TokenExpiredParams>({
  code: 'CONFIG_IAM_TOKEN_EXPIRED',
  check: 'config',
  status: 'fail',
  title: 'The RDS IAM token used as the password has expired',
  meaning: `The password is an RDS IAM authentication token (a SigV4 presigned query) and its X-Amz-Date plus X-Amz-Expires (15 minutes) is in the past: RDS refuses it with "PAM authentication failed for user" (${IAM_CAUSES_NOTE}). Read offline from the token; nothing is sent.`,
  causes: [
    'a token generated once and stored in .env or a CI secret (tokens last 15 minutes)',
    'a pool that opens new connections with the token it was created with',
    'a wrong clock where the token was generated',
  ],
  fix: 'Generate the token right before connecting (aws rds generate-db-auth-token, or the SDK Signer in a pg `password` function) instead of storing it.',
  transient: false,
  matchers: [],
  examples: [
    {
      source: 'db-doctor',
      text: 'fail  config  CONFIG_IAM_TOKEN_EXPIRED  The password is an RDS IAM token that expired at 2026-12-07T11:15:00Z',
    },
  ],
  summary: (p) =>
    `The password (${p.passwordFrom}) is an RDS IAM token issued ${p.issuedAt} that expired at ${p.expiresAt}, ${p.minutesAgo} min ago: RDS answers "PAM authentication failed for user".`,
  buildFix: (): Fix => ({
    summary: 'Generate the token when connecting instead of storing it (it is valid for 15 minutes).',
    steps: [
      `Shell / CI: export PGPASSWORD="$(${GENERATE})" right before the migration command.`,
      'Node (pg, knex): pass `password: () => new Signer({hostname, port, region, username}).getAuthToken()` so every new connection gets a fresh token.',
    ],
    snippet: {language: 'bash', code: `export PGPASSWORD="$(${GENERATE})"`},
  }),
})

const CONFIG_IAM_TOKEN_MISMATCH = define<TokenMismatchParams>({
  code: 'CONFIG_IAM_TOKEN_MISMATCH',
  check: 'config',
  status: 'fail',
  title: 'The RDS IAM token was signed for another host, port, region or user',
  meaning: `An RDS IAM token is signed for one endpoint (host:port), one region and one database user; RDS refuses it anywhere else with "PAM authentication failed for user" (${IAM_CAUSES_NOTE}). db-doctor compares, offline, what the token was signed for with the host, port and user the app connects with, and the region in the RDS host name with the token's credential scope.`,
  causes: [
    'a token generated for the writer endpoint used on a reader or proxy endpoint (or the reverse)',
    'a token generated with the default region of the AWS profile, not the instance region',
    'a token for another database user, or for port 5432 when the instance listens elsewhere',
  ],
  fix: 'Generate the token with exactly the host, port, region and user the app connects with.',
  transient: false,
  matchers: [],
  examples: [
    {
      source: 'db-doctor',
      text: 'fail  config  CONFIG_IAM_TOKEN_MISMATCH  The RDS IAM token was signed for host db-1.abc.eu-west-1.rds.amazonaws.com',
    },
  ],
  summary: (p) =>
    `The password (${p.passwordFrom}) is an RDS IAM token signed for ${p.mismatches.map((m) => `${m.field} ${m.signed}`).join(', ')}, but the app uses ${p.mismatches.map((m) => `${m.field} ${m.used}`).join(', ')}: RDS answers "PAM authentication failed for user".`,
  buildFix: (p): Fix => {
    const used = Object.fromEntries(p.mismatches.map((m) => [m.field, m.used]))
    const cmd = GENERATE.replace('<host>', used.host ?? '<host>')
      .replace('<port>', used.port ?? '<port>')
      .replace('<region>', used.region ?? '<region>')
      .replace('<user>', used.user ?? '<user>')
    return {
      summary: 'Generate the token for the endpoint, region and user the app connects with.',
      steps: [cmd],
      snippet: {language: 'bash', code: cmd},
    }
  },
})

const CONFIG_IAM_TOKEN_NOT_URL_ENCODED = define<TokenNotEncodedParams>({
  code: 'CONFIG_IAM_TOKEN_NOT_URL_ENCODED',
  check: 'config',
  status: 'fail',
  title: 'An RDS IAM token is pasted into a URL without percent-encoding',
  meaning:
    "An RDS IAM token contains `/`, `?`, `&`, `=` and `%`: written raw as the password of a postgres:// URL, the URL ends its host part at the token's first `/`, so the driver connects to a host and user made of pieces of the token (or fails to parse the URL). Read offline from the connection string.",
  causes: [
    'DATABASE_URL built by string concatenation with the token (`postgres://user:${TOKEN}@host/db`)',
    'a CI step that exports the token into a URL template',
  ],
  fix: 'Percent-encode the token in the URL (encodeURIComponent / `jq -rR @uri`), or pass it separately as PGPASSWORD / the `password` option and keep it out of the URL.',
  transient: false,
  matchers: [],
  examples: [
    {
      source: 'db-doctor',
      text: 'fail  config  CONFIG_IAM_TOKEN_NOT_URL_ENCODED  DATABASE_URL holds an RDS IAM token that is not percent-encoded',
    },
  ],
  summary: (p) =>
    `${p.urlFrom} holds an RDS IAM token that is not percent-encoded: the URL's host part ends at the token's first "/", so the driver never sees the token as the password.`,
  buildFix: (): Fix => ({
    summary: 'Keep the token out of the URL (PGPASSWORD), or percent-encode it.',
    steps: [
      `Shell: export PGPASSWORD="$(${GENERATE})" and drop the password from the URL.`,
      'Or encode it: TOKEN_ENC=$(printf %s "$TOKEN" | jq -sRr @uri); DATABASE_URL="postgres://user:${TOKEN_ENC}@host:5432/db?sslmode=verify-full"',
    ],
    snippet: {language: 'bash', code: `export PGPASSWORD="$(${GENERATE})"`},
  }),
})

export const iamEntries = [CONFIG_IAM_TOKEN_EXPIRED, CONFIG_IAM_TOKEN_MISMATCH, CONFIG_IAM_TOKEN_NOT_URL_ENCODED]
export {CONFIG_IAM_TOKEN_EXPIRED, CONFIG_IAM_TOKEN_MISMATCH, CONFIG_IAM_TOKEN_NOT_URL_ENCODED}
