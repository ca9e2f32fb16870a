// How to change a setting where it came from: the code to paste, per kind of source.
import {DEFAULT_PORT, urlWithParams, withAuthority} from '../config/connection-string.js'
import type {Provenance, ResolvedConfig} from '../config/types.js'
import type {Snippet} from '../core/types.js'

/**
 * `value` written back into the source it came from: a dotenv line, an `export` for the
 * environment, the command line for the CONNECTION argument. Undefined for sources that are
 * code (knexfile, Prisma schema): the steps say where to change those.
 */
export function assignment(source: Provenance, value: string): Snippet | undefined {
  if (source.kind === 'env-file') return {language: 'dotenv', code: `${source.name}="${value}"`}
  if (source.kind === 'env') return {language: 'bash', code: `export ${source.name}='${value}'`}
  if (source.kind === 'argument') return {language: 'bash', code: `db-doctor check '${value}'`}
  return undefined
}

/**
 * A connection string written back where it came from. In code (a knexfile `connection`, a
 * Prisma datasource `url`), the string itself: the steps name the file and setting.
 */
export function connectionStringSnippet(source: Provenance | undefined, url: string): Snippet {
  if (!source) return {language: 'dotenv', code: `DATABASE_URL="${url}"`}
  if (source.kind === 'knexfile')
    return {language: 'js', code: `${source.name.split('.').at(-1) ?? 'connection'}: '${url}',`}
  if (source.kind === 'prisma') return {language: 'prisma', code: `url = "${url}"`}
  return assignment(source, url) ?? {language: 'text', code: url}
}

type Changeable = 'host' | 'port' | 'user'
const PG_VARS: Record<Changeable, string> = {host: 'PGHOST', port: 'PGPORT', user: 'PGUSER'}
const FAMILY_SUFFIX: Record<Changeable, string> = {host: 'HOST', port: 'PORT', user: 'USER'}

/**
 * New host / port / user written where the app's settings come from: the app's own URL rewritten (password
 * masked) in the variable, file or argument it came from; else one line per setting in that setting's own
 * source (DB_HOST in .env, PGPORT exported, a knexfile `host:`). Values may be placeholders.
 */
export function settingsSnippet(config: ResolvedConfig, changes: Partial<Record<Changeable, string>>): Snippet {
  const cs = config.connectionString
  const url = cs ? withAuthority(cs.value, changes) : null
  if (cs && url !== null) return connectionStringSnippet(cs.source, url)
  const family = config.primary && /^(DB|DATABASE|SUPABASE_DB)_\*$/.exec(config.primary.name)?.[1]
  const names = (Object.keys(changes) as Changeable[])
    .map((n) => config.fields[n]?.source)
    .filter((x) => x && (x.kind === 'env' || x.kind === 'env-file'))
  const shared = names.find((x, i) => names.findIndex((y) => y!.name === x!.name) !== i)
  if (shared) {
    // several settings from one variable: a connection string
    const url = `postgresql://${changes.user ?? 'USER'}:[YOUR-PASSWORD]@${changes.host ?? 'HOST'}:${changes.port ?? DEFAULT_PORT}/DATABASE`
    return assignment(shared, url) ?? {language: 'dotenv', code: `${shared.name}=${url}`}
  }
  const lines: string[] = []
  let language = 'dotenv'
  for (const [name, value] of Object.entries(changes) as Array<[Changeable, string]>) {
    const src = config.fields[name]?.source
    if (src && (src.kind === 'knexfile' || src.kind === 'prisma')) {
      language = 'js'
      lines.push(`${name}: '${value}',`)
    } else if (src && (src.kind === 'env' || src.kind === 'env-file')) {
      if (src.kind === 'env') language = 'bash'
      lines.push(src.kind === 'env' ? `export ${src.name}='${value}'` : `${src.name}=${value}`)
    } else {
      lines.push(`${family ? `${family}_${FAMILY_SUFFIX[name]}` : PG_VARS[name]}=${value}`)
    }
  }
  return {language, code: lines.join('\n')}
}

/**
 * The app's own connection URL with the query parameter `name=value` set (added, or its value replaced),
 * password masked, written back where it came from. Null when the connection is not a URL.
 */
export function urlWithParamSnippet(config: ResolvedConfig, name: string, value: string): Snippet | null {
  const cs = config.connectionString
  const url = cs ? urlWithParams(cs.value, {remove: [name], set: {[name]: value}}) : null
  if (!cs || url === null) return null
  return connectionStringSnippet(cs.source, url)
}
