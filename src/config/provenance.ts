// Where a resolved setting came from, in the words reports use.
import type {FieldName, ResolvedConfig} from './types.js'

/** The label of the source that set `name` ("DB_PORT in .env"), or null when nothing set it. */
export function fieldSourceLabel(config: ResolvedConfig, name: FieldName): string | null {
  return config.fields[name]?.source.label ?? null
}

/** The setting and its source, "port ← DB_PORT in .env", or "port (not set: default)". */
export function fieldWithSource(config: ResolvedConfig, name: FieldName): string {
  const label = fieldSourceLabel(config, name)
  return label ? `${name} ← ${label}` : `${name} (not set: default)`
}
