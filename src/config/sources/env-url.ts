// Source 2: a connection URL in one environment variable (DATABASE_URL, POSTGRES_URL).
// An empty variable counts as unset, as it does for node-postgres (`connectionString: ''`).
import {envProvenance} from '../env.js'
import type {ConfigSource} from '../types.js'

function envUrlSource(variable: string): ConfigSource {
  return {
    id: `env-url:${variable}`,
    role: 'primary',
    load(ctx) {
      const value = ctx.env[variable]
      if (value === undefined || value.trim() === '') return null
      const origin = envProvenance(ctx.envFileOf, variable)
      return {origin, connectionString: {value, source: origin}, fields: {}}
    },
  }
}

export const databaseUrlSource = envUrlSource('DATABASE_URL')
export const postgresUrlSource = envUrlSource('POSTGRES_URL')
