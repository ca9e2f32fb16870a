// The checks' ids in the order they run: the one list of checks. The registry (index.ts) is built from it,
// and explain derives its confirm lines from it without loading the checks (this module imports nothing).
// Order matters: later checks build on the facts earlier ones establish (addresses → reachable addresses →
// TLS offer). Ids are a public contract.
export const CHECK_IDS = [
  'config',
  'dns',
  // after tcp: Docker advice explains a failure (TCP_REFUSED on localhost, a service name that does not
  // resolve) and comes after it, never before
  'tcp',
  'docker',
  'postgres',
  'tls',
  'ssl-config',
  'auth',
  'server',
  'pooler',
  'privileges',
  'migrations',
] as const

export type CheckId = (typeof CHECK_IDS)[number]
