// The words of what db-doctor modelled of the app: the URL parser it reads the connection string with, the
// driver it connects with and why, how its migration tool is launched. The models (src/config, src/models)
// return these as data; the checks, the config problems and the report's `modelled` field word them here.
import type {ReadingModelled} from '../config/pg-config.js'
import type {UrlParserModelled} from '../config/url-parser.js'

/** "knex 3.3.0 → pg-connection-string 2.6.2 (the app's, from node_modules/…)", "pg 8 → … (pg is not installed in …)". */
export function urlParserText(m: UrlParserModelled): string {
  if (m.by === 'knex')
    return m.fromApp
      ? `knex ${m.knexVersion} → pg-connection-string ${m.version} (the app's, from ${m.from})`
      : `knex 3.x → pg-connection-string ${m.version} (knex is not installed in ${m.dir}: modelled as knex 3.3 parses, no uselibpqcompat)`
  return m.fromApp
    ? `pg ${m.pgVersion} → pg-connection-string ${m.version} (the app's)`
    : `pg 8 → pg-connection-string ${m.version} (pg is not installed in ${m.dir}: db-doctor's own current release)`
}

/**
 * What an ssl reading was modelled with: the URL parser (urlParserText), or the app's other driver
 * ("postgres.js 3.4.7 (sslmode=require: TLS, not verified)").
 */
export function readingModelledText(m: ReadingModelled): string {
  if (m.by !== 'driver') return urlParserText(m)
  const tls = m.tls === 'verified' ? 'TLS, verified' : m.tls === 'not-verified' ? 'TLS, not verified' : 'no TLS'
  return `${m.driver} ${m.version} (${m.setting}: ${tls})`
}
