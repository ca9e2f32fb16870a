// Is it PostgreSQL? Send SSLRequest (no credentials) to the first reachable
// address and read the one-byte answer. Anything else says what is listening
// instead: a web server, SSH, MySQL, Redis, a TLS-only port, a proxy.
// Data only: the words of every outcome are in src/catalogue/postgres.ts.
import {PG_NOT_POSTGRES, PG_NO_RESPONSE, PG_SSLREQUEST_REJECTED, looksLike, postgresSays} from '../catalogue/postgres.js'
import {fieldWithSource} from '../config/provenance.js'
import type {PostgresFacts} from '../core/facts.js'
import type {Check, CheckContext, CheckOutcome, Evidence} from '../core/types.js'
import type {SslRequestResult} from '../probes/ssl-request.js'

export const postgresCheck: Check = {
  id: 'postgres',
  title: 'PostgreSQL protocol',
  requires: ['tcp'],
  provides: ['postgres'],
  uses: ['tcp'],
  run: runPostgres,
}

async function runPostgres(ctx: CheckContext): Promise<CheckOutcome> {
  const tcp = ctx.facts.tcp
  if (!tcp) return {status: 'skip', code: null, summary: postgresSays.noTcp(), evidence: {}, fix: null}
  const target = tcp.reachable[0]
  if (!target) return {status: 'skip', code: null, summary: postgresSays.noAddress(), evidence: {}, fix: null}
  const {port} = tcp
  const host = ctx.config.fields.host?.value ?? target.address
  const direct = ctx.config.fields.sslnegotiation?.value?.trim().toLowerCase() === 'direct' ? fieldWithSource(ctx.config, 'sslnegotiation') : null
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
    return {status: 'pass', code: null, summary: postgresSays.speaks({shown, answer: r.answer, ms: r.ms, direct}), evidence, fix: null}
  }
  if (direct && r.kind === 'foreign' && r.recognized === 'tls') {
    evidence.firstBytes = r.bytes
    return {status: 'pass', code: null, summary: postgresSays.directTls({shown, direct}), evidence, fix: null}
  }
  if (direct && r.kind === 'closed') {
    evidence.outcome = 'closed'
    return {status: 'skip', code: null, summary: postgresSays.directClosed({shown, direct}), evidence, fix: null}
  }
  return failure(r, {shown, host, port, evidence, timeoutMs, direct, hostFrom: fieldWithSource(ctx.config, 'host'), portFrom: fieldWithSource(ctx.config, 'port')})
}

function failure(
  r: Exclude<SslRequestResult, {kind: 'answer'}>,
  o: {shown: string; host: string; port: number; evidence: Evidence; timeoutMs: number; direct: string | null; hostFrom: string; portFrom: string},
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
      evidence.serverError = {severity: r.error.severity ?? null, sqlstate: r.error.code ?? null, message: r.error.message, protocol: r.error.protocol}
      return PG_SSLREQUEST_REJECTED.emit({...where, message: r.error.message, sqlstate: r.error.code ?? null, protocol: r.error.protocol ?? null}, evidence)
    }
    case 'timeout':
    case 'closed':
    case 'connect-error': {
      evidence.outcome = r.kind === 'timeout' ? `timeout (${r.phase})` : r.kind
      evidence.ms = r.ms
      return PG_NO_RESPONSE.emit(
        {...where, kind: r.kind, phase: r.kind === 'timeout' ? r.phase : null, errno: r.kind === 'timeout' ? null : (r.code ?? null)},
        evidence,
      )
    }
  }
}
