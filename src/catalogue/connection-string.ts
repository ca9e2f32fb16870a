// The words of a broken connection string: src/config/connection-string.ts finds what is wrong (a
// problem id and its data, the effects of unencoded characters by id) and these say it. Shown in the
// config check's summary, fix and evidence (CONFIG_URL_INVALID, CONFIG_PASSWORD_NOT_ENCODED and
// CONFIG_PASSWORD_ENCODING_LENIENT in ./config.ts).
import type {ConnectionStringProblem, EncodingEffect} from '../config/connection-string.js'

/** What is wrong and roughly where (secret-free: the problem's data is). */
export function connectionStringReason(p: ConnectionStringProblem): string {
  switch (p.id) {
    case 'keyvalue-not-url':
      return 'it is a libpq key=value string, which node-postgres does not understand in a connection URL variable'
    case 'empty':
      return 'it is empty'
    case 'quoted':
      return `it is wrapped in ${p.quote} quotes that became part of the value (Docker --env-file, env_file in docker-compose v1 and some CI settings keep quotes literally)`
    case 'other-scheme':
      return `its scheme "${p.scheme}://" is not postgres:// or postgresql://`
    case 'not-a-connection-string':
      return 'it does not start with postgres:// or postgresql:// and is not a list of key=value pairs'
    case 'outer-space':
      return `it ${p.at} with a space, which node-postgres keeps (as %20 in the database name, or a broken URL)`
    case 'url-port-not-a-number':
    case 'keyvalue-port-not-a-number':
      return `the port "${p.port}" is not a number`
    case 'hostless':
      return p.empty
        ? 'it is empty: no host, user or database after "://"'
        : 'it names no host (nothing between "://" or "@" and the next "/")'
    case 'unexpanded':
      return `it contains \${${p.name}}, a variable reference that was never expanded`
    case 'host-space':
      return 'the host part contains a space'
    case 'several-hosts':
      return `it lists several hosts (${p.hosts}): libpq accepts that, node-postgres does not`
    case 'ipv6-unbracketed':
      return `the IPv6 address ${p.address} is not in brackets`
    case 'malformed-escape':
      return 'it contains a malformed %-escape (a "%" not followed by two hex digits, or an invalid UTF-8 sequence)'
    case 'port-after-host':
      return `the port "${p.port}" after the host "${p.host}" is not a number`
    case 'port-out-of-range':
      return `the port ${p.port} is out of range (1-65535)`
    case 'no-host':
      return 'there is no host after "://"'
    case 'host-characters':
      return `the host part "${p.host}" contains characters not allowed in a host name`
    case 'unparsable-url':
      return `node-postgres cannot parse it as a URL (${p.error})`
    case 'missing-equals':
      return p.afterSecret
        ? `missing "=" at character ${p.position}, right after the ${p.key} value`
        : `missing "=" after "${p.key}" at character ${p.position}`
    case 'unterminated-quote':
      return `unterminated quoted string in the value of "${p.key}" starting at character ${p.position}`
    case 'invalid-option':
      return p.key !== null ? `invalid connection option "${p.key}"` : 'it contains an invalid connection option'
    case 'cut-by-dotenv':
      return 'cut at "#" by dotenv'
  }
}

/** How to fix it, when the parser knows (the config check adds its own steps). */
export function connectionStringHint(p: ConnectionStringProblem): string | undefined {
  switch (p.id) {
    case 'keyvalue-not-url':
      return 'Write it as a URL: postgres://user:password@host:5432/database?sslmode=require'
    case 'empty':
    case 'quoted':
    case 'other-scheme':
    case 'not-a-connection-string':
      return 'Use postgres://user:password@host:5432/database, or key=value pairs: host=… port=… dbname=…'
    case 'outer-space':
      return 'Remove the surrounding spaces from the value.'
    case 'url-port-not-a-number':
      return 'The port goes after the host: postgres://user:password@host:5432/database'
    case 'hostless':
      return 'node-postgres would silently connect to localhost:5432 (psql to the local Unix socket) instead of failing. If the URL is assembled from variables (postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}/…), one of them is empty where the app runs. Write the host: postgres://user:password@host:5432/database (a Unix socket: ?host=/var/run/postgresql).'
    case 'unexpanded':
      return 'dotenv does not expand ${VAR} references (dotenv-expand does). Write the value itself, or expand it in your shell.'
    case 'host-space':
      return 'Remove the space, or percent-encode it as %20 if it belongs to the password.'
    case 'several-hosts':
      return 'Give node-postgres one host (a primary, a load balancer or a pooler address).'
    case 'ipv6-unbracketed':
      return `Write it as [${p.address}] (with the port after the bracket: [${p.address}]:5432)`
    case 'malformed-escape':
      return 'Write a literal "%" as %25.'
    case 'port-after-host':
      return 'The port must be digits only: postgres://user:password@host:5432/database'
    case 'port-out-of-range':
      return 'PostgreSQL listens on 5432 unless configured otherwise.'
    case 'missing-equals':
      return p.afterSecret
        ? `A ${p.key} containing spaces must be single-quoted: ${p.key}='…' (escape ' and \\ with a backslash).`
        : 'Write settings as key=value pairs separated by spaces; quote values containing spaces with single quotes.'
    case 'unterminated-quote':
      return "Close the value with a single quote; write a literal ' as \\' inside it."
    case 'invalid-option':
      return p.key === 'database' || p.key === 'db'
        ? 'The libpq keyword for the database is dbname=…'
        : p.key === 'username'
          ? 'The libpq keyword for the user is user=…'
          : 'See https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS'
    case 'keyvalue-port-not-a-number':
    case 'no-host':
    case 'host-characters':
    case 'unparsable-url':
    case 'cut-by-dotenv':
      return undefined
  }
}

/** What an unencoded character does to the URL, in one sentence. */
export function encodingEffectText(e: EncodingEffect): string {
  switch (e.id) {
    case 'fragment':
      return '"#" starts a URL fragment: everything after it, the host included, is cut off'
    case 'ends-host':
      return '"/" ends the host part early, so the rest of the password is read as the host and database'
    case 'starts-query':
      return '"?" starts the query string early, so the rest of the password is read as parameters'
    case 'at-sign':
      return '"@" separates the credentials from the host: node-postgres and knex split at the last "@" and read the password as written, but psql, pg_dump and other libpq tools split at the first one and take the rest of the password as part of the host name'
    case 'percent':
      return '"%" starts an escape sequence: node-postgres and knex read a "%" not followed by two hex digits as written, but psql, pg_dump and other libpq tools reject the URL ("invalid percent-encoded token")'
    case 'line-break':
      return 'tabs and line breaks are dropped from a URL by node-postgres, so the password it sends is a different one'
    case 'misread-escape':
      return `"${e.escape}" is read literally, not as the character it encodes: a space or a stray "%" elsewhere in the URL makes node-postgres re-encode the whole URL, and it restores only escapes made of two digits`
    case 'not-allowed':
      return `${e.character} is not allowed unencoded in a URL`
    case 'lenient':
      return `${e.character} must be percent-encoded by the URL standard (RFC 3986); node-postgres and psql read it as written, strict parsers such as Go's net/url (golang-migrate, pgx) reject the URL`
  }
}
