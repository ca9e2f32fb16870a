// The libpq keywords (all of them, and those whose value is a secret), once: the redaction (core/redact.ts) masks them and the
// connection-string module (config/connection-keywords.ts re-exports them) never prints them. In core,
// so that the redaction imports nothing above it. The postgres:// scheme likewise: the redaction finds URLs with it,
// config/connection-string.ts detects connection strings with it.

/** The postgres:// / postgresql:// scheme (any case), written once: anywhere in a text. */
export const POSTGRES_SCHEME = /postgres(?:ql)?:\/\//i

/** libpq keywords whose value is a secret: never printed, masked in every connection string shown. */
export const SECRET_KEYWORDS = [
  'password',
  'sslpassword',
  'scram_client_key',
  'scram_server_key',
  'oauth_client_secret',
] as const

export function isSecretKeyword(key: string): boolean {
  return (SECRET_KEYWORDS as readonly string[]).includes(key)
}

/** libpq connection keywords (PostgreSQL 17/18). */
export const LIBPQ_KEYWORDS: ReadonlySet<string> = new Set([
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'passfile',
  'require_auth',
  'channel_binding',
  'connect_timeout',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslmode',
  'sslnegotiation',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslkeylogfile',
  'sslpassword',
  'sslcertmode',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'min_protocol_version',
  'max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
  'scram_client_key',
  'scram_server_key',
  'oauth_issuer',
  'oauth_client_id',
  'oauth_client_secret',
  'oauth_scope',
  'uselibpqcompat',
])
