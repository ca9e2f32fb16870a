// Is it PostgreSQL? Send SSLRequest (no credentials) to the first reachable
// address and read the one-byte answer. Anything else says what is listening
// instead: a web server, SSH, MySQL, Redis, a TLS-only port, a proxy.
import type {PostgresFacts} from '../core/facts.js'
import type {Check, CheckContext, CheckOutcome, Fix} from '../core/types.js'
import type {SslRequestResult} from '../probes/postgres.js'

export const postgresCheck: Check = {
  id: 'postgres',
  title: 'PostgreSQL protocol',
  requires: ['tcp'],
  provides: ['postgres'],
  uses: ['tcp'],
  run: runPostgres,
}

const WHAT: Record<string, string> = {
  http: 'an HTTP server',
  ssh: 'an SSH server',
  mysql: 'a MySQL/MariaDB server',
  redis: 'a Redis server',
  tls: 'a TLS-only service (HTTPS or a TLS terminator expecting a ClientHello)',
  smtp: 'a mail (SMTP) server',
  ftp: 'an FTP server',
}

function origin(ctx: CheckContext, name: 'host' | 'port' | 'sslnegotiation'): string {
  const f = ctx.config.fields[name]
  return f ? `${name} ← ${f.source.label}` : `${name} (not set: default)`
}

async function runPostgres(ctx: CheckContext): Promise<CheckOutcome> {
  const tcp = ctx.facts.tcp
  if (!tcp) return {status: 'skip', code: null, summary: 'The tcp check did not run, so there is no reachable address to talk to.', evidence: {}, fix: null}
  const target = tcp.reachable[0]
  if (!target) return {status: 'skip', code: null, summary: 'No address accepted a TCP connection (see the tcp check).', evidence: {}, fix: null}
  const {port} = tcp
  const host = ctx.config.fields.host?.value ?? target.address
  const direct = ctx.config.fields.sslnegotiation?.value?.trim().toLowerCase() === 'direct'
  const shown = target.family === 6 ? `[${target.address}]:${port}` : `${target.address}:${port}`
  const timeoutMs = ctx.options.timeoutMs
  const {probeSslRequest} = await import('../probes/postgres.js')
  const r = await probeSslRequest(target.address, port, {connectTimeoutMs: timeoutMs, answerTimeoutMs: timeoutMs})

  const evidence: Record<string, unknown> = {address: target.address, port, host, sent: 'SSLRequest (8 bytes, code 80877103)'}
  const directNote = direct
    ? ` The app uses sslnegotiation=direct (${origin(ctx, 'sslnegotiation')}): it skips SSLRequest and starts TLS at once (PostgreSQL 17+); the tls check tests that handshake.`
    : ''
  if (direct) evidence.sslnegotiation = `direct (${origin(ctx, 'sslnegotiation')})`

  if (r.kind === 'answer') {
    const facts: PostgresFacts = {address: target.address, port, answer: r.answer, offersTls: r.answer === 'S'}
    ctx.facts.postgres = facts
    evidence.answer = r.answer
    evidence.ms = r.ms
    return {
      status: 'pass',
      code: null,
      summary: `${shown} speaks the PostgreSQL protocol and ${r.answer === 'S' ? 'offers TLS' : 'does not offer TLS'} (answered '${r.answer}' to SSLRequest in ${r.ms} ms).${directNote}`,
      evidence,
      fix: null,
    }
  }

  if (direct && r.kind === 'foreign' && r.recognized === 'tls') {
    evidence.firstBytes = r.bytes
    return {
      status: 'pass',
      code: null,
      summary: `${shown} answers SSLRequest with TLS: it expects direct TLS, which matches sslnegotiation=direct (${origin(ctx, 'sslnegotiation')}); the tls check does the handshake.`,
      evidence,
      fix: null,
    }
  }
  if (direct && r.kind === 'closed') {
    evidence.outcome = 'closed'
    return {
      status: 'skip',
      code: null,
      summary: `${shown} closed the connection on SSLRequest, as a direct-TLS-only endpoint does. The app uses sslnegotiation=direct (${origin(ctx, 'sslnegotiation')}) and never sends SSLRequest: the tls check tests the handshake it really does.`,
      evidence,
      fix: null,
    }
  }

  return failure(ctx, r, {shown, host, port, evidence, timeoutMs, directNote})
}

function failure(
  ctx: CheckContext,
  r: Exclude<SslRequestResult, {kind: 'answer'}>,
  o: {shown: string; host: string; port: number; evidence: Record<string, unknown>; timeoutMs: number; directNote: string},
): CheckOutcome {
  const {shown, port, evidence} = o
  const portFrom = origin(ctx, 'port')
  switch (r.kind) {
    case 'foreign': {
      evidence.firstBytes = r.bytes
      evidence.bytesReceived = r.length
      if (r.recognized) evidence.looksLike = WHAT[r.recognized]
      const what = r.recognized ? WHAT[r.recognized] : 'something that is not PostgreSQL'
      return {
        status: 'fail',
        code: 'PG_NOT_POSTGRES',
        summary: `${shown} is ${what}, not PostgreSQL: it answered SSLRequest with "${r.bytes}".${o.directNote}`,
        evidence,
        fix: notPostgresFix(ctx, o.host, port, r.recognized),
      }
    }
    case 'error-packet': {
      evidence.firstBytes = r.bytes
      evidence.serverError = {severity: r.error.severity ?? null, sqlstate: r.error.code ?? null, message: r.error.message, protocol: r.error.protocol}
      return {
        status: 'fail',
        code: 'PG_SSLREQUEST_REJECTED',
        summary: `${shown} rejected SSLRequest with an error: "${r.error.message}"${r.error.code ? ` (${r.error.code})` : ''} — a very old PostgreSQL server or a pooler/proxy that does not understand TLS negotiation.${o.directNote}`,
        evidence,
        fix: {
          summary: 'The server or proxy at this address does not accept the SSLRequest every modern client sends first.',
          steps: [
            r.error.protocol === 2
              ? 'The answer uses the pre-7.4 protocol: upgrade the server; node-postgres and libpq need protocol 3 (PostgreSQL 7.4+).'
              : 'If a pooler or proxy sits in front of PostgreSQL (PgBouncer, Odyssey, pgcat, a cloud proxy), upgrade it or enable its TLS support.',
            `Check that ${portFrom} points at PostgreSQL itself and not at an admin or sidecar port.`,
            'As a last resort, disable TLS negotiation for this connection: node-postgres sends SSLRequest only when ssl is enabled (sslmode=disable), which exposes the traffic.',
          ],
        },
      }
    }
    case 'timeout':
    case 'closed':
    case 'connect-error': {
      const what =
        r.kind === 'timeout'
          ? r.phase === 'connect'
            ? `did not accept a new connection within ${o.timeoutMs} ms`
            : `accepted the connection but sent nothing back to SSLRequest within ${o.timeoutMs} ms`
          : r.kind === 'closed'
            ? `closed the connection without answering SSLRequest${r.code ? ` (${r.code})` : ''}`
            : `refused a second connection (${r.code})`
      evidence.outcome = r.kind === 'timeout' ? `timeout (${r.phase})` : r.kind
      evidence.ms = r.ms
      return {
        status: 'fail',
        code: 'PG_NO_RESPONSE',
        summary: `${shown} ${what}: a half-dead proxy, a load balancer without healthy backends, a port-forward whose target is down, or a server still starting.${o.directNote}`,
        evidence,
        fix: noResponseFix(ctx, o.host, port, r.kind),
      }
    }
  }
}

function notPostgresFix(ctx: CheckContext, host: string, port: number, recognized: string | null): Fix {
  const portFrom = origin(ctx, 'port')
  const steps = [
    `Point the connection at PostgreSQL's port: ${portFrom} (PostgreSQL listens on 5432 by default, PgBouncer on 6432).`,
    `Check the host too: ${origin(ctx, 'host')} — a load balancer or reverse proxy may forward this port to a different service.`,
  ]
  if (recognized === 'http' || recognized === 'tls')
    steps.push('Web-style endpoints (HTTPS APIs, dashboards, serverless HTTP drivers) are not PostgreSQL: use the provider\'s "direct" or "pooled" Postgres connection string, not its HTTP URL.')
  if (recognized === 'ssh') steps.push(`This is SSH: to reach a database through it, open a tunnel (ssh -L 5432:localhost:5432 user@${host}) and connect to localhost:5432.`)
  if (recognized === 'mysql') steps.push('This is MySQL/MariaDB: the app is configured for the wrong database server.')
  if (recognized === 'redis') steps.push('This is Redis: DB_PORT/REDIS_PORT values are probably swapped.')
  return {
    summary: `Nothing at ${host}:${port} speaks PostgreSQL: fix the port (${portFrom}) or the host.`,
    steps,
    snippet: {language: 'bash', code: `pg_isready -h ${host} -p 5432`},
  }
}

function noResponseFix(ctx: CheckContext, host: string, port: number, kind: string): Fix {
  return {
    summary: `Something accepts TCP on ${host}:${port} but PostgreSQL does not answer behind it: check the proxy / load balancer / port-forward and the server behind it.`,
    steps: [
      'Load balancer or cloud proxy: check that it has healthy PostgreSQL targets (target group health, backend status).',
      'kubectl/SSH port-forward or Docker port: check that the pod/container behind it is running and listening; restart the forward.',
      kind === 'closed'
        ? 'A proxy that closes immediately often rejects this client by IP (allow-list) or has no backend: check its logs. A port that expects TLS at once (a TLS terminator, or PostgreSQL 17+ with direct TLS only) also closes: then set sslnegotiation=direct (libpq 17+, node-postgres with sslnegotiation support).'
        : 'If PostgreSQL itself is overloaded or still starting (recovery), wait and check its log.',
      `Check ${origin(ctx, 'port')}: a port that accepts and stays silent is often the wrong service.`,
    ],
    snippet: {language: 'bash', code: `pg_isready -h ${host} -p ${port}`},
  }
}
