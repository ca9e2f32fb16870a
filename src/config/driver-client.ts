// The client config db-doctor's own connections use (TLS probe, login, pooler, migrations) when the
// app's driver is not node-postgres: the driver model (src/models/drivers) reads the same settings
// the way that driver does, and the TLS it would negotiate replaces node-postgres's. Today:
// postgres.js (sslmode read the other way round, PGSSL, a CA from the URL in 4.x) and Prisma's own
// engine (sslaccept: no verification unless strict). An ssl object the
// app passes itself reaches tls.connect in both drivers alike, so node-postgres's reading of it stays.
import path from 'node:path'
import {readGuardedText} from '../core/files.js'
import {DRIVERS} from '../models/drivers/index.js'
import {isUrlConnectionString} from './connection-string.js'
import type {PgClientConfigResult} from './pg-config.js'
import type {Provenance, ResolvedConfig} from './types.js'

function readFile(file: string, cwd: string): string | undefined {
  try {
    return readGuardedText(path.resolve(cwd, file), 'certificate')
  } catch {
    return undefined
  }
}

/** `pg` as the app's driver would connect: unchanged unless the modelled driver is postgres.js or Prisma's engine. */
export function asAppDriver(
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  cwd: string,
  pg: PgClientConfigResult,
): PgClientConfigResult {
  const driver = config.stack?.driver
  if (driver?.name !== 'postgres.js' && driver?.name !== 'prisma-engine') return pg
  const model = DRIVERS[driver.name]
  const app = config.appSsl?.value
  if (app !== undefined && app !== null && typeof app === 'object') return pg
  const cs = config.connectionString
  const url = cs && isUrlConnectionString(cs.value) ? cs.value.trim() : undefined
  let tls
  try {
    tls = model.read(
      {
        ...(url ? {url, urlSource: cs!.source.label} : {}),
        ...(config.appSsl ? {options: {ssl: app}, optionsSource: config.appSsl.source.label} : {}),
        env,
      },
      driver.version,
    ).tls
  } catch {
    return pg // a URL the driver cannot parse: the config check says so
  }
  const t = tls.tlsOptions
  let ssl: PgClientConfigResult['config']['ssl'] = false
  if (t) {
    const obj: Record<string, unknown> = {rejectUnauthorized: t.rejectUnauthorized}
    if (!t.servernameCheck) obj.checkServerIdentity = () => undefined
    for (const [key, file] of [
      ['ca', t.caFile],
      ['cert', t.certFile],
      ['key', t.keyFile],
    ] as const) {
      const text = file ? readFile(file, cwd) : undefined
      if (text !== undefined) obj[key] = text
    }
    // verification left to Node's default: NODE_TLS_REJECT_UNAUTHORIZED=0 in the app's environment turns it off
    if (t.rejectUnauthorized && env.NODE_TLS_REJECT_UNAUTHORIZED === '0' && !pg.nodeTlsNotLoaded) {
      obj.rejectUnauthorized = false
    }
    ssl = obj as PgClientConfigResult['config']['ssl']
  }
  const fromEnv = /^(PGSSLMODE|PGSSL)=/.exec(tls.setting)?.[1]
  const source: Provenance | undefined = fromEnv
    ? {kind: 'env', name: fromEnv, label: `${fromEnv} (environment)`}
    : config.appSsl && app !== undefined
      ? config.appSsl.source
      : url && tls.source === cs!.source.label
        ? cs!.source
        : undefined
  const out: PgClientConfigResult = {
    ...pg,
    config: {...pg.config, ssl},
    sslOrigin: fromEnv ? 'PGSSLMODE' : source === cs?.source ? 'connection-string' : source ? 'app' : 'default',
    urlParser: {
      by: 'driver',
      driver: driver.name,
      version: driver.version,
      setting: tls.setting,
      tls: t ? (t.rejectUnauthorized ? 'verified' : 'not-verified') : 'none',
    },
  }
  if (source) out.sslSource = source
  else delete out.sslSource
  const name = `${driver.name} ${driver.version}`
  if (t && tls.encrypt === 'try' && tls.fallback) out.sslFallback = {driver: name, ssl: tls.fallback.ssl}
  if (t && tls.noTlsError) out.noTlsError = {driver: name, error: tls.noTlsError}
  if (t && t.rejectUnauthorized && obj(ssl).rejectUnauthorized === false) out.verifyOffByEnv = true
  else delete out.verifyOffByEnv
  return out
}

function obj(ssl: unknown): Record<string, unknown> {
  return ssl && typeof ssl === 'object' ? (ssl as Record<string, unknown>) : {}
}

/**
 * The client config after the server's answer to SSLRequest: a driver that goes on in plaintext when
 * the server has no TLS (postgres.js `prefer`) connects without TLS once the server answered 'N'.
 * Unchanged otherwise (node-postgres, or any answer but 'N').
 */
export function withServerAnswer(r: PgClientConfigResult, answer: string | undefined): PgClientConfigResult {
  if (!r.sslFallback || answer !== 'N' || !r.config.ssl) return r
  return {...r, config: {...r.config, ssl: false}, fellBack: true}
}
