// Can waiting fix a failure? `db-doctor wait` keeps retrying transient ones (nothing listens
// yet, the server is starting, DNS records not published yet) and stops at once on the
// others (a wrong password, a hostname mismatch, an invalid URL, a missing database…).
// A local list until the code catalogue (src/catalogue/, issue 10) carries `transient`.
// A code this list does not know counts as transient: wait then gives up at its deadline,
// never early on a failure that might have cleared.

const TRANSIENT = new Set([
  'DNS_NOT_FOUND', // Kubernetes publishes a Service's records once its pods are ready
  'DNS_TEMPORARY_FAILURE',
  'DNS_TIMEOUT',
  'DNS_RESOLVERS_DISAGREE',
  'DOCKER_DNS_FAILURE',
  'TCP_REFUSED',
  'TCP_TIMEOUT',
  'TCP_UNREACHABLE',
  'TCP_IPV6_FAILED',
  'TCP_IPV4_FAILED',
  'TCP_SOME_ADDRESSES_FAILED',
  'PG_NO_RESPONSE',
  'AUTH_TOO_MANY_CONNECTIONS',
  'AUTH_SERVER_STARTING',
  'AUTH_CONNECTION_FAILED',
])

const PERMANENT = new Set([
  'CONFIG_URL_INVALID',
  'CONFIG_PASSWORD_NOT_ENCODED',
  'CONFIG_PASSWORD_ENCODING_LENIENT',
  'CONFIG_SSLMODE_INVALID',
  'CONFIG_APP_FILE_ERROR',
  'CONFIG_NOT_FOUND',
  'DNS_IPV6_ONLY',
  'DOCKER_LOCALHOST',
  'DOCKER_SERVICE_NAME_FROM_HOST',
  'TCP_PORT_INVALID',
  'PG_NOT_POSTGRES',
  'PG_SSLREQUEST_REJECTED',
  'TLS_NOT_SUPPORTED',
  'TLS_SELF_SIGNED_CHAIN',
  'TLS_SELF_SIGNED_CERT',
  'TLS_UNTRUSTED_ISSUER',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_EXPIRED',
  'TLS_NOT_YET_VALID',
  'TLS_EXPIRING_SOON',
  'TLS_HANDSHAKE_FAILED',
  'SSL_CONFIG_CONFLICT',
  'SSL_UNIX_SOCKET',
  'SSLMODE_VERIFY_SEMANTICS',
  'SSL_VERIFICATION_DISABLED',
  'SSL_CERT_FILE_UNREADABLE',
  'AUTH_PASSWORD_FAILED',
  'AUTH_PASSWORD_MISSING',
  'AUTH_SSL_REQUIRED',
  'AUTH_HBA_REJECTED',
  'AUTH_ROLE_NOT_FOUND',
  'AUTH_ROLE_NOLOGIN',
  'AUTH_DATABASE_NOT_FOUND',
  'INTERNAL_ERROR',
])

export function isTransient(code: string): boolean {
  if (TRANSIENT.has(code)) return true
  return !PERMANENT.has(code)
}
