// The password file (~/.pgpass or PGPASSFILE) as node-postgres reads it: pg's client calls the
// `pgpass` module with its connection parameters when no password is set. We reuse that module's
// own parsing and matching (pgpass/lib/helper.js) but read synchronously and remember the file and
// line, never the password, as provenance. Read by the pgpass source (config/sources/pgpass.ts)
// while resolving; the checks get that answer from the target (config/target.ts).
import fs from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {redactor} from '../core/redact.js'
import {displayPath} from './env.js'
import {readGuardedText} from '../core/files.js'

interface PgpassEntry {
  host: string
  port: string
  database: string
  user: string
  password: string
}
interface PgpassHelper {
  getFileName(env?: Record<string, string | undefined>): string
  parseLine(line: string): PgpassEntry | null
  isValidEntry(entry: PgpassEntry): boolean
  match(connInfo: Record<string, unknown>, entry: PgpassEntry): boolean
}

const require = createRequire(import.meta.url)
let helperCache: PgpassHelper | undefined
function helper(): PgpassHelper {
  helperCache ??= require('pgpass/lib/helper.js') as PgpassHelper
  return helperCache
}

type PgpassStatus = 'missing' | 'not-a-file' | 'insecure-permissions' | 'unreadable' | 'no-match' | 'match' | 'skipped'

export interface PgpassInspection {
  /** The file node-postgres would read (absolute). */
  file: string
  /** Shown to people: relative to cwd when inside it, "~/.pgpass" style otherwise. */
  display: string
  /** True when PGPASSFILE chose the file. */
  fromPgpassfile: boolean
  status: PgpassStatus
  /** 1-based line of the matching entry. */
  line?: number
  /** File mode (octal string) when the permissions made pg ignore the file. */
  mode?: string
  /** The password of the matching entry; registered with the redactor. Never print it. */
  password?: string
}

/**
 * What node-postgres would get from the password file for these connection parameters.
 * `env` is the environment the app sees (PGPASSFILE, HOME, PGPASSWORD).
 */
export function inspectPgpass(
  env: Record<string, string | undefined>,
  connInfo: {host?: string; port?: string | number; database?: string; user?: string},
  cwd = process.cwd(),
): PgpassInspection {
  const h = helper()
  const file = path.resolve(cwd, h.getFileName(env))
  const fromPgpassfile = Boolean(env.PGPASSFILE)
  const home = env.HOME ?? os.homedir()
  const rel = displayPath(cwd, file)
  const display = !path.isAbsolute(rel)
    ? rel
    : home && file.startsWith(home + path.sep)
      ? `~${file.slice(home.length)}`
      : file
  const base = {file, display, fromPgpassfile}
  // pgpass/lib/helper.js usePgPass(): any PGPASSWORD, even empty, disables the file
  if (Object.prototype.hasOwnProperty.call(env, 'PGPASSWORD') && env.PGPASSWORD !== undefined)
    return {...base, status: 'skipped'}
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    return {...base, status: 'missing'}
  }
  if (!stat.isFile()) return {...base, status: 'not-a-file'}
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    return {...base, status: 'insecure-permissions', mode: (stat.mode & 0o777).toString(8).padStart(4, '0')}
  }
  let text: string
  try {
    text = readGuardedText(file, 'password file')
  } catch {
    return {...base, status: 'unreadable'}
  }
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const entry = h.parseLine(lines[i])
    if (!entry || !h.isValidEntry(entry)) continue
    redactor.add(entry.password)
    if (h.match(connInfo, entry)) return {...base, status: 'match', line: i + 1, password: entry.password}
  }
  return {...base, status: 'no-match'}
}
