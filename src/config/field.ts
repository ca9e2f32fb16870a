// A setting and where it came from: the leaf types every part of config/ shares (src/config/types.ts
// re-exports them).
export type {FieldName} from './connection-keywords.js'
import type {ToolName} from '../models/tools/names.js'

type SourceKind =
  | 'argument' // the CONNECTION argument of `db-doctor check`
  | 'env' // the process environment
  | 'env-file' // a dotenv file (.env or --env-file)
  | 'pgpass' // ~/.pgpass or PGPASSFILE
  | 'default' // libpq / node-postgres defaults
  | 'knexfile' // knex's source is its knexfile
  | Exclude<ToolName, 'knex'> // a migration tool's config or flags
  | 'flag' // a command-line flag other than CONNECTION (--instances)
  | 'kubernetes' // a Kubernetes manifest in the app's folder (replicas)

export interface Provenance {
  kind: SourceKind
  /** The variable, key or setting: "DATABASE_URL", "DB_PASSWORD", "connection.ssl", "datasource db.url". */
  name: string
  /** The file, when there is one, relative to the working folder when inside it: ".env", "knexfile.cjs". */
  file?: string
  /** knexfile environment, when relevant: "development". */
  environment?: string
  /** What a person reads: "DB_PASSWORD in .env", "DATABASE_URL (environment)", "default". */
  label: string
}

export interface Field<T = string> {
  value: T
  source: Provenance
}
