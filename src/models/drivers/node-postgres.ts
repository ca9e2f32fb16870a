// node-postgres (npm `pg`), by installed version. The knowledge lives where it was built and is
// tested against the real pg code: config/pg-config.ts (the exact ClientConfig), config/ssl.ts
// (sslmode semantics: prefer/require/verify-ca mean verify-full unless uselibpqcompat=true; URL
// ssl params replace the app's ssl object; PGSSLMODE only when nobody set ssl) and
// config/url-parser.ts (which pg-connection-string parses the URL: the app's, by version). This
// module is the driver model's face over them, for code that reasons about drivers in general.
import fs from 'node:fs'
import os from 'node:os'
import {analyzeSsl} from '../../config/ssl.js'
import {urlParserModel} from '../../config/url-parser.js'
import type {Provenance} from '../../config/field.js'
import type {DriverInput, DriverModel, DriverReading} from './types.js'

function provenance(label: string): Provenance {
  return {kind: 'argument', name: 'connection', label}
}

export const nodePostgres: DriverModel = {
  name: 'node-postgres',
  packages: ['pg'],
  currentRelease: '8.16.0',
  sslEnv: () => ['PGSSLMODE'],
  read(input: DriverInput, version: string): DriverReading {
    const a = analyzeSsl({
      ...(input.url
        ? {connectionString: {value: input.url, source: provenance(input.urlSource ?? 'the connection URL')}}
        : {}),
      ...(input.options && 'ssl' in input.options
        ? {appSsl: {value: input.options.ssl, source: provenance(input.optionsSource ?? 'the options object')}}
        : {}),
      fields: {},
      env: input.env,
      cwd: process.cwd(),
      homeDir: input.env.HOME || os.homedir(),
      fileExists: (p) => fs.existsSync(p),
      // the pg-connection-string of the pg installed where db-doctor runs (db-doctor's own where there is none),
      // loaded only when there is a URL to parse
      parse: (url) => urlParserModel('pg', process.cwd()).parse(url),
    })
    const n = a.nodePg
    return {
      driver: 'node-postgres',
      version,
      tls: {
        encrypt: n.encrypt,
        verifyChain: n.verifyChain,
        verifyHostname: n.verifyHostname,
        caFrom: n.caFrom,
        setting: n.setting,
        source: n.sources.encrypt,
        tlsOptions: n.encrypt === 'no' ? false : {rejectUnauthorized: n.verifyChain, servernameCheck: n.verifyHostname},
        ...(n.error ? {error: n.error} : {}),
      },
      // node-postgres ignores URL parameters it does not know; it sends none of them.
      startupParams: {},
      connectTimeoutS: null,
    }
  },
  errors: {timeout: 'timeout expired', closed: 'Connection terminated unexpectedly'},
  // pg-pool index.js: `this.options.max = this.options.max || this.options.poolSize || 10`
  // pg-pool index.js: idleTimeoutMillis 10000 when the options leave it undefined
  pool: {
    option: 'max',
    defaultMax: 10,
    describe: "node-postgres' Pool (max, default 10)",
    idle: {option: 'idleTimeoutMillis', defaultMs: 10_000},
  },
}

/**
 * A node-postgres Pool in the app's own code, as its source text shows it (read, never run):
 * `new Pool({…})` / `new pg.Pool({…})` with its `idleTimeoutMillis` when the options are an object
 * literal that writes it as a number, and whether the file gives anything an 'error' listener.
 */
interface PoolInCode {
  /** 1-based line of `new Pool(` in the file. */
  line: number
  /**
   * The idleTimeoutMillis written: a number (0: pg-pool never closes an idle client), 'default' (the
   * options are an object literal without it: 10 s), 'unread' (an expression, a variable, a spread).
   */
  idleTimeoutMillis: number | 'default' | 'unread'
  /** The file calls `.on('error', …)` (on the Pool or anything else: a file-level approximation). */
  errorListener: boolean
}

/**
 * Does the text load node-postgres: `from 'pg'`, `require('pg')`, `import('pg')`, or drizzle-orm's
 * node-postgres driver (which creates its own Pool from a URL or `connection` options)? Pure.
 */
export function importsPg(text: string): boolean {
  return /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"](?:pg|drizzle-orm\/node-postgres)['"]/.test(text)
}

/** Does the text pass node-postgres' `enableChannelBinding: true` (pg 8.14+: bind when the server offers it)? Pure. */
export function setsChannelBinding(text: string): boolean {
  return /\benableChannelBinding\s*:\s*true\b/.test(text)
}

/**
 * The value of `key:` inside obj: its object literal, 'url' for a string or process.env.X, 'other' for
 * anything else (a variable, a shorthand key), null when the key is absent. Pure.
 */
function keyValue(obj: string, key: string): string | 'url' | 'other' | null {
  const m = new RegExp(`\\b${key}\\s*:\\s*`).exec(obj)
  if (!m) return new RegExp(`\\b${key}\\b`).test(obj) ? 'other' : null
  const at = m.index + m[0].length
  if (obj[at] === '{') return objectLiteral(obj, at) ?? 'other'
  return /^(?:['"`]|process\.env\b)/.test(obj.slice(at, at + 12)) ? 'url' : 'other'
}

/** idleTimeoutMillis as an options object literal writes it. Pure. */
function idleOf(obj: string): PoolInCode['idleTimeoutMillis'] {
  const v = /\bidleTimeoutMillis\s*:\s*([^,}\n]{1,80})/.exec(obj)?.[1]?.trim()
  if (v === undefined) return obj.includes('...') || /\bidleTimeoutMillis\b/.test(obj) ? 'unread' : 'default'
  return /^\d[\d_]{0,12}$/.test(v) ? Number(v.replace(/_/g, '')) : 'unread'
}

/** The object literal that starts at text[start] === '{', bounded; null when it does not close in `max` chars. */
function objectLiteral(text: string, start: number, max = 4000): string | null {
  let depth = 0
  for (let i = start; i < Math.min(text.length, start + max); i++) {
    const ch = text[i]
    if (ch === '{') depth++
    else if (ch === '}' && --depth === 0) return text.slice(start, i + 1)
  }
  return null
}

/** Pools read per file, and `drizzle({…})` calls looked at per file (each costs a bounded scan). */
const MAX_POOLS = 20

/**
 * The node-postgres Pools a source file creates (at most 20): `new Pool(…)`, and the Pool drizzle-orm's
 * node-postgres driver creates itself (drizzle-orm 0.45 node-postgres/driver.js: `drizzle(url)`,
 * `drizzle({connection: url | {…options}})`; not `drizzle(pool)` or `drizzle({client})`, the app's own). Pure.
 */
export function poolsInCode(text: string): PoolInCode[] {
  const errorListener = /\.on\(\s*['"`]error['"`]/.test(text)
  const out: {index: number; idle: PoolInCode['idleTimeoutMillis']}[] = []
  for (const m of text.matchAll(/\bnew\s+(?:[A-Za-z_$][\w$]{0,60}\.)?Pool\s*\(\s*/g)) {
    if (out.length >= MAX_POOLS) break
    const at = m.index + m[0].length
    const obj = text[at] === '{' ? objectLiteral(text, at) : null
    out.push({index: m.index, idle: obj !== null ? idleOf(obj) : text[at] === ')' ? 'default' : 'unread'})
  }
  // each `drizzle({` costs a scan of up to 4000 characters, found or not: at most MAX_POOLS of them per file
  // (a file of 256 KiB of `drizzle({` took over a second, and the walk reads 4 MiB)
  let literals = 0
  if (/['"]drizzle-orm\/node-postgres['"]/.test(text))
    for (const m of text.matchAll(/\bdrizzle\s*\(\s*/g)) {
      if (out.length >= MAX_POOLS) break
      const at = m.index + m[0].length
      if (text[at] === '{') {
        if (++literals > MAX_POOLS) break
        const obj = objectLiteral(text, at)
        if (obj === null || /\bclient\b/.test(obj)) continue
        const connection = keyValue(obj, 'connection')
        if (connection === null) continue
        const idle = connection === 'url' ? 'default' : connection === 'other' ? 'unread' : idleOf(connection)
        out.push({index: m.index, idle})
      } else if (/^(?:['"`]|process\.env\b)/.test(text.slice(at, at + 12))) out.push({index: m.index, idle: 'default'})
    }
  // 1-based lines in one pass over the text (not a split of the text before each Pool: 20 times the file)
  let line = 1
  let from = 0
  return out
    .sort((a, b) => a.index - b.index)
    .map((p) => {
      for (let i = text.indexOf('\n', from); i !== -1 && i < p.index; i = text.indexOf('\n', i + 1)) line++
      from = p.index
      return {line, idleTimeoutMillis: p.idle, errorListener}
    })
}
