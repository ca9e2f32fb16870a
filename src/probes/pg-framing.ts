// Protocol limits for every PostgreSQL session db-doctor opens (issue 17): a framing guard between
// the socket (after TLS, when TLS is used) and node-postgres' parser. It reads each backend
// message's 5-byte header (type, Int32 length) as the bytes arrive, before pg-protocol buffers the
// body, and ends the connection as soon as
//   - a message declares more than its type can need (an ErrorResponse of 2 GB is hostile: pg's
//     parser would buffer it until V8 aborts), or less than the 4 bytes of the length itself;
//   - the step has received more than its byte budget, or more notices than it can draw (an endless
//     NoticeResponse flood).
// The step deadline is enforced on the socket as well (deadline()), not only between messages: a
// 1 GB message dripped slowly never completes, so no timer "between messages" would fire.
// The connection is destroyed (no further byte is parsed) and pg sees a ProtocolLimitError.
import {EventEmitter} from 'node:events'
import {PROTOCOL_LIMIT_CODE, type ProtocolLimit, type ProtocolLimitKind} from '../core/protocol-limit.js'

/**
 * The most a backend message of each type may declare (its length field: the 4 bytes of the length
 * plus the body). Sized for what PostgreSQL, PgBouncer and the poolers send, and for what
 * db-doctor's own read-only queries return (a few short rows: version(), settings, migration names).
 */
export const MESSAGE_LIMITS: Readonly<Record<string, number>> = {
  // errors and notices: PostgreSQL truncates nothing, but its longest real messages (a DETAIL listing
  // objects, a CONTEXT with a query) are a few KB; ours are from a login and read-only queries.
  E: 16 * 1024,
  N: 16 * 1024,
  /** ParameterStatus: a GUC_REPORT name and value (search_path, application_name ≤ 63 bytes…). */
  S: 8 * 1024,
  /** Authentication requests: mechanisms list, SCRAM server-first/final (~100 bytes each). */
  R: 8 * 1024,
  /** BackendKeyData: pid + secret key (protocol 3.2: up to 256 bytes). */
  K: 1024,
  /** NegotiateProtocolVersion: a version and the unsupported option names. */
  v: 8 * 1024,
  /** ReadyForQuery: exactly 5. */
  Z: 5,
  /** CommandComplete: a tag ("SELECT 12"). */
  C: 1024,
  /** RowDescription: our queries select a few columns. */
  T: 64 * 1024,
  /** DataRow: one row of ours (a version string, migration names, a schema's privileges). */
  D: 1024 * 1024,
  /** ParameterDescription. */
  t: 64 * 1024,
  /** NotificationResponse: PostgreSQL caps a payload at 8000 bytes. */
  A: 16 * 1024,
  // bodiless messages
  '1': 4,
  '2': 4,
  '3': 4,
  n: 4,
  s: 4,
  I: 4,
  c: 4,
}

/** Any other type (COPY data, which db-doctor never asks for, and unknown codes). */
const OTHER_LIMIT = 64 * 1024

/** Bytes one step (the login with its info query, or one batch of queries) may receive. */
export const STEP_BYTE_BUDGET = 16 * 1024 * 1024

/**
 * NoticeResponses one step may receive: a login or a read-only query of ours draws none or a few
 * (a collation-version WARNING); a flood of small ones stays under the byte budget for long.
 */
export const STEP_NOTICE_LIMIT = 1000

function messageLimit(type: string): number {
  return MESSAGE_LIMITS[type] ?? OTHER_LIMIT
}

/**
 * Why db-doctor ended a session: the peer broke a protocol limit. `code` is what callers test. Its
 * message is data (code, kind, type, amount, limit): where it is shown, the catalogue words the limit.
 */
export class ProtocolLimitError extends Error implements ProtocolLimit {
  readonly code = PROTOCOL_LIMIT_CODE
  constructor(
    readonly kind: ProtocolLimitKind,
    readonly messageType: string,
    readonly amount: number,
    readonly limit: number,
  ) {
    super(`${PROTOCOL_LIMIT_CODE} ${kind} ${JSON.stringify(messageType)} ${amount} ${limit}`)
    this.name = 'ProtocolLimitError'
  }
}

/** The byte budget of the current step, shared by the guard and the session that resets it. */
interface StepBudget {
  used: number
  limit: number
  notices: number
  noticeLimit: number
}

interface Destroyable extends EventEmitter {
  destroy(error?: Error): unknown
}

interface FrameGuard {
  /** What pg-protocol's parse() reads from: 'data' (checked chunks) and 'end'. */
  readonly stream: EventEmitter
  /** Why the guard ended the connection, if it did. */
  readonly tripped: ProtocolLimitError | undefined
}

/**
 * Counts the frames of the backend messages arriving on `source` and forwards each chunk once
 * every header in it is within limits. On the first violation nothing more is forwarded and
 * `kill(error)` ends the connection. Linear in the bytes received (a header is at most 5 bytes;
 * bodies are skipped by arithmetic).
 */
export function guardFrames(
  source: EventEmitter,
  budget: StepBudget,
  kill: (error: ProtocolLimitError) => void,
): FrameGuard {
  const out = new EventEmitter()
  const header = Buffer.alloc(5)
  let headerLen = 0
  let need = 0
  let tripped: ProtocolLimitError | undefined
  const trip = (e: ProtocolLimitError) => {
    tripped = e
    kill(e)
  }
  source.on('data', (chunk: Buffer) => {
    if (tripped) return
    budget.used += chunk.length
    if (budget.used > budget.limit) return trip(new ProtocolLimitError('byte-budget', '', budget.used, budget.limit))
    let i = 0
    while (i < chunk.length) {
      if (need > 0) {
        const k = Math.min(need, chunk.length - i)
        need -= k
        i += k
        continue
      }
      const k = Math.min(5 - headerLen, chunk.length - i)
      chunk.copy(header, headerLen, i, i + k)
      headerLen += k
      i += k
      if (headerLen < 5) break
      headerLen = 0
      const type = String.fromCharCode(header[0])
      const length = header.readUInt32BE(1)
      if (length < 4) return trip(new ProtocolLimitError('bad-length', type, length, 4))
      const limit = messageLimit(type)
      if (length > limit) return trip(new ProtocolLimitError('message-too-long', type, length, limit))
      if (type === 'N' && ++budget.notices > budget.noticeLimit)
        return trip(new ProtocolLimitError('notice-count', type, budget.notices, budget.noticeLimit))
      need = length - 4
    }
    out.emit('data', chunk)
  })
  source.on('end', () => out.emit('end'))
  return {
    stream: out,
    get tripped() {
      return tripped
    },
  }
}

/**
 * Puts a guard between a node-postgres Client's socket and its parser. pg 7 and 8 create the
 * Connection (and its socket) in the Client constructor and hand the socket — the TLS socket once
 * TLS is up — to `connection.attachListeners(stream)`, which calls pg-protocol's parse(stream):
 * that method is replaced on this one instance. Returns the controls the session uses.
 */
export function guardClient(client: unknown): SessionGuard {
  const budget: StepBudget = {used: 0, limit: STEP_BYTE_BUDGET, notices: 0, noticeLimit: STEP_NOTICE_LIMIT}
  const connection = (client as {connection?: {stream?: Destroyable; attachListeners?: (s: unknown) => unknown}})
    .connection
  let guard: FrameGuard | undefined
  let failure: ProtocolLimitError | undefined
  const raw = connection?.stream
  const kill = (e: ProtocolLimitError) => {
    failure ??= e
    const current = connection?.stream
    // pg reports the error of the stream it listens to; the raw socket under TLS goes too
    current?.destroy(e)
    if (raw && raw !== current) raw.destroy()
  }
  if (connection && typeof connection.attachListeners === 'function') {
    const attach = connection.attachListeners
    connection.attachListeners = function (this: unknown, stream: unknown) {
      guard = guardFrames(stream as EventEmitter, budget, kill)
      return attach.call(this, guard.stream)
    }
  }
  let timer: NodeJS.Timeout | undefined
  return {
    step() {
      budget.used = 0
      budget.notices = 0
    },
    deadline(ms) {
      clearTimeout(timer)
      timer = setTimeout(() => kill(new ProtocolLimitError('deadline', '', ms, ms)), ms)
      timer.unref?.()
      return () => clearTimeout(timer)
    },
    get failure() {
      return failure ?? guard?.tripped
    },
  }
}

export interface SessionGuard {
  /** A new step begins: its byte budget starts at zero. */
  step(): void
  /** Destroys the socket if the step has not ended within `ms`; call the returned function when it has. */
  deadline(ms: number): () => void
  /** The limit the peer broke, if any (then the connection is gone). */
  readonly failure: ProtocolLimitError | undefined
}
