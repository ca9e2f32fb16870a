// Is it PostgreSQL? Send SSLRequest (no credentials) to the first reachable
// address and read the one-byte answer. Anything else says what is listening
// instead: a web server, SSH, MySQL, Redis, a TLS-only port, a proxy.
// Data only: the words of every outcome are in src/catalogue/postgres.ts.
import {
  PG_NOT_POSTGRES,
  PG_NO_RESPONSE,
  PG_SSLREQUEST_REJECTED,
  PG_TWO_SERVERS,
  looksLike,
  postgresSays,
  type ServerDifference,
  postgresEntries,
} from '../catalogue/postgres.js'
import {settingsSnippet} from '../catalogue/snippets.js'
import {fieldWithSource} from '../config/provenance.js'
import {targetOf} from '../config/target.js'
import type {PostgresFacts, TcpFacts} from '../core/facts.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import type {SslRequestResult} from '../probes/ssl-request.js'
import type {ServerIdentity} from '../probes/pg-identity.js'

declare module '../core/facts.js' {
  interface Facts {
    postgres?: PostgresFacts
  }
}

export const postgresCheck: RegisteredCheck<'postgres'> = {
  id: 'postgres',
  title: postgresSays.title(),
  establishes: postgresSays.establishes(),
  codes: [postgresEntries],
  requires: ['tcp'],
  provides: ['postgres'],
  uses: ['tcp', 'dns'],
  run: runPostgres,
}

async function runPostgres(ctx: CheckContext): Promise<CheckOutcome> {
  const tcp = ctx.facts.tcp
  if (!tcp) return {status: 'skip', code: null, summary: postgresSays.noTcp(), evidence: {}, fix: null}
  const target = tcp.reachable[0]
  if (!target) return {status: 'skip', code: null, summary: postgresSays.noAddress(), evidence: {}, fix: null}
  const {port} = tcp
  const host = ctx.config.fields.host?.value ?? target.address
  const direct =
    ctx.config.fields.sslnegotiation?.value?.trim().toLowerCase() === 'direct'
      ? fieldWithSource(ctx.config, 'sslnegotiation')
      : null
  const shown = target.family === 6 ? `[${target.address}]:${port}` : `${target.address}:${port}`
  const timeoutMs = ctx.options.timeoutMs
  const {probeSslRequest} = await import('../probes/ssl-request.js')
  const r = await probeSslRequest(target.address, port, {connectTimeoutMs: timeoutMs, answerTimeoutMs: timeoutMs})

  const evidence: Evidence = {address: target.address, port, host, sent: 'SSLRequest (8 bytes, code 80877103)'}
  if (direct) evidence.sslnegotiation = `direct (${direct})`

  if (r.kind === 'answer') {
    const facts: PostgresFacts = {address: target.address, port, answer: r.answer, offersTls: r.answer === 'S'}
    ctx.facts.postgres = facts
    evidence.answer = r.answer
    evidence.ms = r.ms
    const speaks = postgresSays.speaks({shown, answer: r.answer, ms: r.ms, direct})
    const two = await compareServers(ctx, tcp, facts, evidence)
    if (two && 'outcome' in two) return two.outcome
    return {status: 'pass', code: null, summary: speaks + (two?.note ?? ''), evidence, fix: null}
  }
  if (direct && r.kind === 'foreign' && r.recognized === 'tls') {
    evidence.firstBytes = r.bytes
    return {status: 'pass', code: null, summary: postgresSays.directTls({shown, direct}), evidence, fix: null}
  }
  if (direct && r.kind === 'closed') {
    evidence.outcome = 'closed'
    return {status: 'skip', code: null, summary: postgresSays.directClosed({shown, direct}), evidence, fix: null}
  }
  return failure(r, {
    shown,
    host,
    port,
    evidence,
    timeoutMs,
    direct,
    hostFrom: fieldWithSource(ctx.config, 'host'),
    portFrom: fieldWithSource(ctx.config, 'port'),
  })
}

function failure(
  r: Exclude<SslRequestResult, {kind: 'answer'}>,
  o: {
    shown: string
    host: string
    port: number
    evidence: Evidence
    timeoutMs: number
    direct: string | null
    hostFrom: string
    portFrom: string
  },
): CheckOutcome {
  const {evidence, ...where} = o
  switch (r.kind) {
    case 'foreign': {
      evidence.firstBytes = r.bytes
      evidence.bytesReceived = r.length
      const looks = looksLike(r.recognized)
      if (looks) evidence.looksLike = looks
      return PG_NOT_POSTGRES.emit({...where, bytes: r.bytes, recognized: r.recognized}, evidence)
    }
    case 'error-packet': {
      evidence.firstBytes = r.bytes
      evidence.serverError = {
        severity: r.error.severity ?? null,
        sqlstate: r.error.code ?? null,
        message: r.error.message,
        protocol: r.error.protocol,
      }
      return PG_SSLREQUEST_REJECTED.emit(
        {...where, message: r.error.message, sqlstate: r.error.code ?? null, protocol: r.error.protocol ?? null},
        evidence,
      )
    }
    case 'timeout':
    case 'closed':
    case 'connect-error': {
      evidence.outcome = r.kind === 'timeout' ? `timeout (${r.phase})` : r.kind
      evidence.ms = r.ms
      return PG_NO_RESPONSE.emit(
        {
          ...where,
          kind: r.kind,
          phase: r.kind === 'timeout' ? r.phase : null,
          errno: r.kind === 'timeout' ? null : (r.code ?? null),
        },
        evidence,
      )
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Several addresses, several servers?

/** Pure: are two unauthenticated looks (src/probes/pg-identity.ts) the same server? */
export function compareIdentities(
  a: ServerIdentity,
  b: ServerIdentity,
): {
  verdict: 'same' | 'different' | 'unknown'
  certain: boolean
  differences: ServerDifference[]
  how?: 'scram-salt' | 'server-version'
} {
  const differences: ServerDifference[] = []
  let certain = false
  // ssl is one setting for a whole server: one address offering TLS and another not is two servers
  if (a.ssl && b.ssl && a.ssl !== b.ssl) {
    differences.push('ssl')
    certain = true
  }
  if (a.scram && b.scram) {
    if (a.scram.salt !== b.scram.salt || a.scram.iterations !== b.scram.iterations) {
      differences.push('scram-salt')
      certain = true
    } else if (!differences.length) return {verdict: 'same', certain: true, differences, how: 'scram-salt'}
  }
  if (a.serverVersion && b.serverVersion) {
    if (a.serverVersion !== b.serverVersion) {
      differences.push('server-version')
      certain = true
    } else if (!differences.length) return {verdict: 'same', certain: true, differences, how: 'server-version'}
  }
  // per-address pg_hba lines can make one server answer differently on two addresses: likely, not proven
  const answered = (x: ServerIdentity) => !x.failure || x.auth !== 'none'
  if (answered(a) && answered(b) && a.auth !== b.auth) differences.push('auth')
  else if (a.error && b.error) {
    const key = (x: ServerIdentity) => [x.error?.code, x.error?.file, x.error?.line, x.error?.routine].join('|')
    if (key(a) !== key(b)) differences.push('error')
  }
  return {verdict: differences.length ? 'different' : 'unknown', certain, differences}
}

function identityRow(x: ServerIdentity, clients: TcpFacts['clients']): Record<string, unknown> {
  const reachedBy = [
    clients?.nodePostgres === x.address ? 'node-postgres (the app)' : null,
    clients?.libpq === x.address ? 'psql' : null,
  ].filter(Boolean)
  return {
    address: x.address,
    reachedBy: reachedBy.length ? reachedBy.join(', ') : 'neither',
    sslRequest: x.ssl ?? 'no answer',
    asks: x.auth,
    scram: x.scram ? `salt ${x.scram.salt.slice(0, 10)}…, ${x.scram.iterations} iterations` : null,
    serverVersion: x.serverVersion ?? null,
    error: x.error
      ? `${x.error.code ?? ''} ${x.error.message}${x.error.file ? ` (${x.error.file}:${x.error.line ?? '?'} ${x.error.routine ?? ''})` : ''}`.trim()
      : null,
    stopped: x.failure ?? null,
    ms: x.ms,
  }
}

/**
 * When the name has several addresses that accept on the port: one unauthenticated look at each (the app's
 * user and database names in a StartupMessage, never its password: see src/probes/pg-identity.ts), compared.
 * The app's login itself (the auth check) goes only where node-postgres goes.
 */
async function compareServers(
  ctx: CheckContext,
  tcp: TcpFacts,
  facts: PostgresFacts,
  evidence: Evidence,
): Promise<{outcome: CheckOutcome} | {note: string} | null> {
  const addresses = [...new Map(tcp.reachable.map((a) => [a.address, a])).values()]
  if (addresses.length < 2) return null
  const dns = ctx.facts.dns
  if (dns?.literal) return null
  let who: {user: string; database: string}
  try {
    const config = targetOf(ctx).pgClient().config
    const user = config.user ?? ''
    if (!user) return null
    who = {user, database: config.database ?? user}
  } catch {
    return null // a config node-postgres refuses: the auth check reports it
  }
  const {probeServerIdentity} = await import('../probes/pg-identity.js')
  const looks = await Promise.all(
    addresses.slice(0, 4).map((a) => probeServerIdentity(a, tcp.port, who, ctx.options.timeoutMs)),
  )
  const clients = tcp.clients
  const appAddress = clients?.nodePostgres ?? addresses[0]!.address
  const app = looks.find((l) => l.address === appAddress) ?? looks[0]!
  const others = looks.filter((l) => l !== app)
  const verdicts = others.map((o) => ({o, v: compareIdentities(app, o)}))
  const different = verdicts.filter((x) => x.v.verdict === 'different')
  evidence.servers = looks.map((l) => identityRow(l, clients))
  const verdict = different.length ? 'different' : verdicts.every((x) => x.v.verdict === 'same') ? 'same' : 'unknown'
  facts.servers = {verdict, appAddress, others: different.map((x) => x.o.address)}
  if (verdict === 'same') {
    const how = verdicts[0]!.v.how ?? 'scram-salt'
    return {note: postgresSays.oneServer({addresses: looks.map((l) => l.address), user: who.user, how})}
  }
  if (verdict !== 'different') return null
  const host = ctx.config.fields.host?.value ?? dns?.host ?? appAddress
  const otherAddress = different[0]!.o.address
  return {
    outcome: PG_TWO_SERVERS.emit(
      {
        host,
        port: tcp.port,
        user: who.user,
        appAddress: clients?.nodePostgres ?? null,
        libpqAddress: clients?.libpq ?? null,
        others: different.map((x) => x.o.address),
        certain: different.some((x) => x.v.certain),
        differences: [...new Set(different.flatMap((x) => x.v.differences))],
        hostFrom: fieldWithSource(ctx.config, 'host'),
        portFrom: fieldWithSource(ctx.config, 'port'),
        snippet: settingsSnippet(ctx.config, {host: otherAddress}),
      },
      evidence,
    ),
  }
}
