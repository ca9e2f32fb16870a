// TCP connect probe: one connect per numeric address, all at once, each with
// its own timer. No name resolution happens here, no Happy Eyeballs: every
// address gets its own verdict so that the prediction can replay what a client
// would do with them.
import net from 'node:net'
import type {ResolvedAddress, TcpAttempt, TcpOutcome} from '../core/facts.js'

const UNREACHABLE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN', 'EHOSTDOWN'])

export function classifyConnectError(code: string | undefined): TcpOutcome {
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ETIMEDOUT') return 'timeout'
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'reset'
  if (code && UNREACHABLE.has(code)) return 'unreachable'
  return 'error'
}

/** Connect to one numeric address; resolves (never rejects) within about timeoutMs. */
export function probeTcp(address: ResolvedAddress, port: number, timeoutMs: number): Promise<TcpAttempt> {
  return new Promise((resolve) => {
    const started = performance.now()
    let settled = false
    const socket = new net.Socket()
    const finish = (outcome: TcpOutcome, errorCode?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.removeAllListeners('connect')
      socket.on('error', () => {})
      socket.destroy()
      const attempt: TcpAttempt = {
        address: address.address,
        family: address.family,
        port,
        outcome,
        ms: Math.round(performance.now() - started),
      }
      if (errorCode) attempt.errorCode = errorCode
      resolve(attempt)
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    socket.once('connect', () => finish('connected'))
    socket.once('error', (err: NodeJS.ErrnoException) => finish(classifyConnectError(err.code), err.code))
    try {
      socket.connect({host: address.address, port, family: address.family, autoSelectFamily: false})
    } catch (error) {
      finish('error', (error as NodeJS.ErrnoException).code ?? 'EINVAL')
    }
  })
}

/** What connecting to a Unix socket file gave: ENOENT (no socket there), a listener, or another error. */
interface UnixSocketAttempt {
  path: string
  outcome: 'connected' | 'missing' | 'refused' | 'error' | 'timeout'
  errorCode?: string
  ms: number
}

/** Connect to a Unix socket file (PostgreSQL's `.s.PGSQL.<port>`); resolves (never rejects) within about timeoutMs. */
export function probeUnixSocket(path: string, timeoutMs: number): Promise<UnixSocketAttempt> {
  return new Promise((resolve) => {
    const started = performance.now()
    let settled = false
    const socket = new net.Socket()
    const finish = (outcome: UnixSocketAttempt['outcome'], errorCode?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.removeAllListeners('connect')
      socket.on('error', () => {})
      socket.destroy()
      resolve({path, outcome, ...(errorCode ? {errorCode} : {}), ms: Math.round(performance.now() - started)})
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    socket.once('connect', () => finish('connected'))
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish(err.code === 'ENOENT' ? 'missing' : err.code === 'ECONNREFUSED' ? 'refused' : 'error', err.code),
    )
    try {
      socket.connect({path})
    } catch (error) {
      finish('error', (error as NodeJS.ErrnoException).code ?? 'EINVAL')
    }
  })
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
