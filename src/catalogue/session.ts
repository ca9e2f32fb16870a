// Words shared by the checks that query after the login (server, privileges, migrations): their
// skips when there is no session to query, or no migration tool to look at (src/checks/tools.ts); and how
// a session's error reads where a check (or the runner) quotes it.
import {TOOL_NAMES} from '../models/tools/names.js'
import {messageName, protocolLimitOf, type ProtocolLimit} from '../core/protocol-limit.js'
import {messages} from './types.js'

/** No knexfile, Prisma schema or node-pg-migrate in package.json, and no --tool. */
const NO_TOOL = `no migration tool found here (no knexfile, Prisma schema, drizzle.config.*, or node-pg-migrate in package.json); name one with --tool ${TOOL_NAMES.join('|')}`

export const sessionSays = messages({
  noSession: () => 'Skipped: no database session in this run.',
  loginFailed: (p: {code: string | null; byPooler?: boolean}) =>
    `Skipped: no session (the ${p.byPooler ? 'pooler refused the login' : 'login failed'}${p.code ? ` with ${p.code}` : ''}; see the ${p.byPooler ? 'pooler' : 'auth'} check).`,
  noTool: () => `Skipped: ${NO_TOOL}.`,
})

/** A protocol limit the peer broke (src/probes/pg-framing.ts), as a session's error quotes it. */
function protocolLimitText(p: ProtocolLimit): string {
  switch (p.kind) {
    case 'deadline':
      return `protocol limit: no complete answer within ${p.limit} ms`
    case 'byte-budget':
      return `protocol limit: more than ${p.limit} bytes received in one step`
    case 'notice-count':
      return `protocol limit: more than ${p.limit} notices received in one step`
    default:
      return `protocol limit: ${messageName(p.messageType)} (${JSON.stringify(p.messageType)}) declares ${p.amount} bytes (limit ${p.kind === 'bad-length' ? 'at least 4' : p.limit})`
  }
}

/**
 * A session's error as it is quoted (evidence, a skip, a crash): its own message, except where db-doctor
 * ended the session (a protocol limit the peer broke: a thrown ProtocolLimitError, or a PgProbeError's
 * protocolLimit), or pg's `timeout expired` with the connectionTimeoutMillis that ran out.
 */
export function sessionErrorText(error: unknown): string {
  const e = (error ?? {}) as {message?: unknown; protocolLimit?: ProtocolLimit; connectTimeoutMs?: number}
  const limit = e.protocolLimit ?? protocolLimitOf(error)
  if (limit) return protocolLimitText(limit)
  const message = typeof e.message === 'string' ? e.message : String(error)
  return e.connectTimeoutMs ? `${message}: no ready session within ${e.connectTimeoutMs} ms` : message
}
