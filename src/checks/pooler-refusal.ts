// A pooler refusing the client before any authentication (a startup parameter PgBouncer does not
// track, a tenant Supavisor does not know): pure recognisers shared by the pooler check (which reports
// it), the auth check (which then skips) and the session checks (whose skip names the pooler).
/** PgBouncer: `unsupported startup parameter: options` (08P01); also its `: search_path`, `: statement_timeout`… */
const UNSUPPORTED_PARAMETER = /unsupported startup parameter:?\s*"?([A-Za-z_][A-Za-z0-9_.-]{0,62})"?/i

/**
 * Supavisor's answer when the user name (or the SNI host) names no project, FATAL XX000: "Tenant or user not
 * found" before v2.9, "(ENOTFOUND) tenant/user <user>.<ref> not found" since (see src/catalogue/pooler.ts).
 */
const TENANT_NOT_FOUND = /Tenant or user not found|tenant\/user \S{0,200} not found/i

/** Pure: the startup parameter a pooler refused, from the login error; null when it is not that error. */
export function refusedStartupParameter(error: {code?: string | null; message?: string | null}): string | null {
  const m = UNSUPPORTED_PARAMETER.exec(error.message ?? '')
  if (!m) return null
  if (error.code && error.code !== '08P01' && error.code !== 'XX000') return null
  return m[1]!
}

type PoolerRefusal = {kind: 'startup-parameter'; parameter: string} | {kind: 'tenant'}

/**
 * Pure: a login answer that comes from a pooler refusing the client before any authentication (the
 * pooler check reports it; the auth check skips). Null for everything else.
 */
export function poolerRefusal(error: {code?: string | null; message?: string | null}): PoolerRefusal | null {
  if (TENANT_NOT_FOUND.test(error.message ?? '') && (!error.code || error.code === 'XX000')) return {kind: 'tenant'}
  const parameter = refusedStartupParameter(error)
  return parameter ? {kind: 'startup-parameter', parameter} : null
}
