// Placeholder: builds the pg ClientConfig exactly as node-postgres would use it
// (same ssl resolution: URL ssl params replace the app's ssl object, PGSSLMODE…).
import type {ClientConfig} from 'pg'
import type {ResolvedConfig} from './types.js'

export function toPgClientConfig(config: ResolvedConfig, _env: Record<string, string | undefined>): ClientConfig {
  const f = config.fields
  return {
    host: f.host?.value,
    port: f.port ? Number(f.port.value) : undefined,
    database: f.database?.value,
    user: f.user?.value,
    password: f.password?.value,
  }
}
