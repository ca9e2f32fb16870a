// The limit a peer broke when db-doctor ended its session (src/probes/pg-framing.ts raises it as a
// ProtocolLimitError): data that every layer passes up as it is, down here so that the catalogue can
// word it wherever it is shown (src/catalogue/session.ts sessionErrorText), a check's crash included,
// without loading a probe.

export type ProtocolLimitKind = 'message-too-long' | 'bad-length' | 'byte-budget' | 'notice-count' | 'deadline'

/** The limit a peer broke, as data. */
export interface ProtocolLimit {
  kind: ProtocolLimitKind
  /** The message type byte as a character ('' for budget and deadline). */
  messageType: string
  /** The declared length, the bytes or the notices received, or the deadline in ms. */
  amount: number
  /** The limit it broke. */
  limit: number
}

/** The `code` of the error that carries it. */
export const PROTOCOL_LIMIT_CODE = 'EPROTOLIMIT'

/** The limit a thrown error says the peer broke (a ProtocolLimitError, also once pg rethrew it), if any. */
export function protocolLimitOf(error: unknown): ProtocolLimit | undefined {
  const e = (error ?? {}) as Partial<Record<keyof ProtocolLimit | 'code', unknown>>
  if (e.code !== PROTOCOL_LIMIT_CODE || typeof e.kind !== 'string') return undefined
  return {
    kind: e.kind as ProtocolLimitKind,
    messageType: String(e.messageType ?? ''),
    amount: Number(e.amount),
    limit: Number(e.limit),
  }
}

/** The backend message types db-doctor names in its words (the protocol's own names). */
const NAMES: Readonly<Record<string, string>> = {
  E: 'ErrorResponse',
  N: 'NoticeResponse',
  S: 'ParameterStatus',
  R: 'Authentication',
  K: 'BackendKeyData',
  v: 'NegotiateProtocolVersion',
  Z: 'ReadyForQuery',
  C: 'CommandComplete',
  T: 'RowDescription',
  D: 'DataRow',
  t: 'ParameterDescription',
  A: 'NotificationResponse',
}

export function messageName(type: string): string {
  return NAMES[type] ?? 'message'
}
