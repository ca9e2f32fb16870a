// TCP connect probe: one connect per numeric address, all at once, each with
// its own timer. No name resolution happens here, no Happy Eyeballs: every
// address gets its own verdict so that the prediction can replay what a client
// would do with them.
import net from 'node:net'
import type {ResolvedAddress, TcpAttempt, TcpOutcome} from '../core/facts.js'
import {closeAfterPeer, probeConnectionsClosed} from './close.js'

const UNREACHABLE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN', 'EHOSTDOWN'])

export function classifyConnectError(code: string | undefined): TcpOutcome {
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ETIMEDOUT') return 'timeout'
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'reset'
  if (code && UNREACHABLE.has(code)) return 'unreachable'
  return 'error'
}

/** One connect, closed at once: connected, the error's code, or timed out. Resolves (never rejects) within about timeoutMs. */
async function connectOnce(
  options: net.NetConnectOpts,
  timeoutMs: number,
): Promise<{result: 'connected' | 'timeout' | 'error'; errorCode?: string; ms: number}> {
  await probeConnectionsClosed('port' in options ? options.port : undefined)
  return new Promise((resolve) => {
    const started = performance.now()
    let settled = false
    const socket = new net.Socket()
    const finish = (result: 'connected' | 'timeout' | 'error', errorCode?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.removeAllListeners('connect')
      closeAfterPeer(socket)
      resolve({result, ...(errorCode ? {errorCode} : {}), ms: Math.round(performance.now() - started)})
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    socket.once('connect', () => finish('connected'))
    socket.once('error', (err: NodeJS.ErrnoException) => finish('error', err.code))
    try {
      socket.connect(options)
    } catch (error) {
      finish('error', (error as NodeJS.ErrnoException).code ?? 'EINVAL')
    }
  })
}

/** Connect to one numeric address; resolves (never rejects) within about timeoutMs. */
export async function probeTcp(address: ResolvedAddress, port: number, timeoutMs: number): Promise<TcpAttempt> {
  const r = await connectOnce({host: address.address, port, family: address.family, autoSelectFamily: false}, timeoutMs)
  const attempt: TcpAttempt = {
    address: address.address,
    family: address.family,
    port,
    outcome: r.result === 'error' ? classifyConnectError(r.errorCode) : r.result,
    ms: r.ms,
  }
  if (r.errorCode) attempt.errorCode = r.errorCode
  return attempt
}

/** What connecting to a Unix socket file gave: ENOENT (no socket there), a listener, or another error. */
interface UnixSocketAttempt {
  path: string
  outcome: 'connected' | 'missing' | 'refused' | 'error' | 'timeout'
  errorCode?: string
  ms: number
}

const SOCKET_ERRORS: Record<string, 'missing' | 'refused'> = {ENOENT: 'missing', ECONNREFUSED: 'refused'}

/** Connect to a Unix socket file (PostgreSQL's `.s.PGSQL.<port>`); resolves (never rejects) within about timeoutMs. */
export async function probeUnixSocket(path: string, timeoutMs: number): Promise<UnixSocketAttempt> {
  const r = await connectOnce({path}, timeoutMs)
  const outcome = r.result === 'error' ? (SOCKET_ERRORS[r.errorCode ?? ''] ?? 'error') : r.result
  return {path, outcome, ...(r.errorCode ? {errorCode: r.errorCode} : {}), ms: r.ms}
}

/** Probe every address concurrently; results in the order given. Takes about one timeoutMs at most. */
export function probeTcpAll(
  addresses: readonly ResolvedAddress[],
  port: number,
  timeoutMs: number,
): Promise<TcpAttempt[]> {
  return Promise.all(addresses.map((a) => probeTcp(a, port, timeoutMs)))
}

/**
 * Does anything accept TCP on host:port now? For `wait`'s readiness poll between attempts:
 * an IP literal is probed directly, a name is resolved through the abandonable lookup first.
 * Resolves (never rejects) within about 2 × timeoutMs.
 */
export async function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const family = net.isIP(host)
  let addresses: ResolvedAddress[]
  if (family === 4 || family === 6) addresses = [{address: host, family}]
  else {
    const {guardedLookup, systemLookup} = await import('./dns.js')
    const r = await systemLookup(host, timeoutMs, guardedLookup({}, timeoutMs))
    if (!r.ok) return false
    addresses = r.addresses
  }
  const attempts = await probeTcpAll(addresses, port, timeoutMs)
  return attempts.some((a) => a.outcome === 'connected')
}
