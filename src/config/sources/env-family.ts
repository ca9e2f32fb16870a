// Source 3: discrete variable families the way projects assemble them
// (DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD, DATABASE_*, SUPABASE_DB_*).
// The first family with any variable set wins; the later ones are shadowed.
import {envProvenance} from '../env.js'
import type {ConfigSource, Field, FieldName, Provenance} from '../types.js'

/** Suffixes per field, first match wins (DB_NAME before DB_DATABASE…). */
const FAMILY_SUFFIXES: ReadonlyArray<[FieldName, readonly string[]]> = [
  ['host', ['HOST']],
  ['port', ['PORT']],
  ['database', ['NAME', 'DATABASE']],
  ['user', ['USER', 'USERNAME']],
  ['password', ['PASSWORD', 'PASS']],
]

function envFamilySource(prefix: string): ConfigSource {
  return {
    id: `env-family:${prefix}`,
    role: 'primary',
    load(ctx) {
      const fields: Partial<Record<FieldName, Field<string>>> = {}
      const names: string[] = []
      for (const [field, suffixes] of FAMILY_SUFFIXES) {
        for (const suffix of suffixes) {
          const name = `${prefix}_${suffix}`
          const value = ctx.env[name]
          if (value === undefined || value === '') continue
          fields[field] = {value, source: envProvenance(ctx.envFileOf, name)}
          names.push(name)
          break
        }
      }
      if (names.length === 0) return null
      const files = [...new Set(names.map((n) => ctx.envFileOf(n)).filter((f): f is string => f !== undefined))]
      const name = `${prefix}_*`
      const origin: Provenance =
        files.length === 1 && names.every((n) => ctx.envFileOf(n) === files[0])
          ? {kind: 'env-file', name, file: files[0], label: `${names.join(', ')} in ${files[0]}`}
          : {kind: 'env', name, label: names.map((n) => envProvenance(ctx.envFileOf, n).label).join(', ')}
      return {origin, fields}
    },
  }
}

export const dbFamilySource = envFamilySource('DB')
export const databaseFamilySource = envFamilySource('DATABASE')
export const supabaseFamilySource = envFamilySource('SUPABASE_DB')
