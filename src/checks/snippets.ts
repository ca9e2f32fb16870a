// How to change a setting where it came from: the code to paste, per kind of source.
import type {Provenance} from '../config/types.js'
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
  if (source.kind === 'knexfile') return {language: 'js', code: `${source.name.split('.').at(-1) ?? 'connection'}: '${url}',`}
  if (source.kind === 'prisma') return {language: 'prisma', code: `url = "${url}"`}
  return assignment(source, url) ?? {language: 'text', code: url}
}
