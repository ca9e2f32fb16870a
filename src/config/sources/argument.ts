// Source 1: the CONNECTION argument of `db-doctor check` (URL or libpq key=value).
import type {ConfigSource, Provenance} from '../types.js'

const argumentOrigin: Provenance = {kind: 'argument', name: 'CONNECTION', label: 'CONNECTION argument'}

export const argumentSource: ConfigSource = {
  id: 'argument',
  role: 'primary',
  load(ctx) {
    if (ctx.connection === undefined || ctx.connection.trim() === '') return null
    return {origin: argumentOrigin, connectionString: {value: ctx.connection, source: argumentOrigin}, fields: {}}
  },
}
