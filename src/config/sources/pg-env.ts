// Source 4a: the PG* variables exactly as node-postgres reads them
// (pg/lib/connection-parameters.js: val() → process.env['PG' + KEY], PGAPPNAME,
// PGSSLMODE in readSSLConfigFromEnvironment, PGSSLNEGOTIATION, PGCONNECT_TIMEOUT).
// node-postgres treats an empty variable as unset (`envVar || default`), so do we.
// It fills whatever the primary source left missing.
import {envProvenance} from '../env.js'
import type {ConfigSource, Field, FieldName} from '../types.js'

const PG_ENV_VARS: ReadonlyArray<[FieldName, string]> = [
  ['host', 'PGHOST'],
  ['port', 'PGPORT'],
  ['database', 'PGDATABASE'],
  ['user', 'PGUSER'],
  ['password', 'PGPASSWORD'],
  ['sslmode', 'PGSSLMODE'],
  ['sslnegotiation', 'PGSSLNEGOTIATION'],
  ['application_name', 'PGAPPNAME'],
  ['connect_timeout', 'PGCONNECT_TIMEOUT'],
  ['options', 'PGOPTIONS'],
]

export const pgEnvSource: ConfigSource = {
  id: 'pg-env',
  role: 'fill',
  load(ctx) {
    const fields: Partial<Record<FieldName, Field<string>>> = {}
    const names: string[] = []
    for (const [field, name] of PG_ENV_VARS) {
      const value = ctx.env[name]
      if (value === undefined || value === '') continue
      fields[field] = {value, source: envProvenance(ctx.envFileOf, name)}
      names.push(name)
    }
    if (names.length === 0) return null
    return {origin: {kind: 'env', name: 'PG*', label: names.join(', ')}, fields}
  },
}
