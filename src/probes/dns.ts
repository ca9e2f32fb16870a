// Name-resolution probes: the system lookup exactly as the app does it, direct
// DNS queries over UDP/TCP with dns-packet, and readers for /etc/resolv.conf and
// /etc/hosts. The only DNS code that touches sockets.
import {promises as fsp} from 'node:fs'
import dns from 'node:dns'
import {isIP} from 'node:net'
import type {ResolvedAddress} from '../core/facts.js'

// ---------------------------------------------------------------------------
// System lookup (getaddrinfo, as net.connect does it)

/** dns.lookup's shape; may return a cancel function that systemLookup calls when it gives up. */
export type LookupFn = (
  host: string,
  options: {all: true; hints: number},
  callback: (err: NodeJS.ErrnoException | null, addresses: {address: string; family: number}[]) => void,
) => void | (() => void)

type SystemLookupResult =
  | {ok: true; addresses: ResolvedAddress[]; ms: number}
  | {ok: false; error: string; message: string; ms: number; timedOut: boolean}

/**
 * Resolve `host` the way node-postgres' socket does: net.connect calls
 * dns.lookup with hints ADDRCONFIG and (autoSelectFamily being on by default in
 * Node 20) all: true; the order is the one the runtime returns (verbatim unless
 * --dns-result-order says otherwise). dns.lookup cannot be cancelled, so it is
 * raced against the budget; a lookup still running in the threadpool is left to finish.
 */
let pending = 0

/**
 * How many real getaddrinfo calls are still running in libuv's threadpool after
 * their caller gave up. Node's exit joins the threadpool, so while this is above
 * zero process.exit() waits for glibc's own timeout (5 s × attempts per server).
 */
export function pendingSystemLookups(): number {
  return pending
}

export function systemLookup(host: string, timeoutMs: number, lookup: LookupFn = dns.lookup as unknown as LookupFn): Promise<SystemLookupResult> {
  const started = performance.now()
  const ms = () => Math.round(performance.now() - started)
  return new Promise((resolve) => {
    let done = false
    let cancel: void | (() => void)
    const timer = setTimeout(() => {
      if (done) return
      done = true
      if (typeof cancel === 'function') {
        cancel() // a cancelled lookup never calls back
        pending--
      }
      resolve({ok: false, error: 'ETIMEOUT', message: `no answer within ${timeoutMs} ms`, ms: ms(), timedOut: true})
    }, timeoutMs)
    try {
      pending++
      cancel = lookup(host, {all: true, hints: dns.ADDRCONFIG}, (err, addresses) => {
        pending--
        if (done) return
        done = true
        clearTimeout(timer)
        if (err) {
          resolve({ok: false, error: String(err.code ?? 'ERROR'), message: err.message, ms: ms(), timedOut: false})
        } else {
          resolve({
            ok: true,
            addresses: addresses
              .filter((a) => a.family === 4 || a.family === 6)
              .map((a) => ({address: a.address, family: a.family as 4 | 6})),
            ms: ms(),
          })
        }
      })
    } catch (error) {
      pending--
      if (done) return
      done = true
      clearTimeout(timer)
      const err = error as NodeJS.ErrnoException
      resolve({ok: false, error: String(err.code ?? 'ERROR'), message: err.message, ms: ms(), timedOut: false})
    }
  })
}

const ISOLATED_SCRIPT = `
const dns = require('node:dns')
const [host, hints] = process.argv.slice(-2)
dns.lookup(host, {all: true, hints: Number(hints)}, (err, addresses) => {
  process.stdout.write(JSON.stringify(err ? {code: err.code, message: err.message} : {addresses}))
  process.exit(0)
})`

/**
 * dns.lookup in a child Node process: the same getaddrinfo call with the same
 * flags and --dns-result-order, but killable. An in-process getaddrinfo that
 * hangs on a silent nameserver keeps the process from exiting (Node joins
 * libuv's threadpool at exit) until glibc gives up, 5 s × attempts per server;
 * this costs one Node start-up (~60 ms) instead.
 */
export const isolatedLookup: LookupFn = (host, options, callback) => {
  let finished = false
  let out = ''
  const finish = (err: NodeJS.ErrnoException | null, addresses: {address: string; family: number}[]) => {
    if (finished) return
    finished = true
    callback(err, addresses)
  }
  const orderFlags = process.execArgv.filter((a) => a.startsWith('--dns-result-order'))
  // The child needs the app's DNS settings only: NODE_OPTIONS may --require the app's code.
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((a) => a.startsWith('--dns-result-order')).join(' ')
  const env = {...process.env, NODE_OPTIONS: nodeOptions}
  // Spawned lazily so that importing this module stays free.
  import('node:child_process').then(({spawn}) => {
    if (finished) return
    const child = spawn(process.execPath, [...orderFlags, '-e', ISOLATED_SCRIPT, host, String(options.hints)], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env,
    })
    killChild = () => child.kill('SIGKILL')
    child.unref()
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.on('error', (e: NodeJS.ErrnoException) => finish(e, []))
    child.on('close', () => {
      try {
        const r = JSON.parse(out) as {code?: string; message?: string; addresses?: {address: string; family: number}[]}
        if (r.addresses) return finish(null, r.addresses)
        const err = new Error(r.message ?? 'lookup failed') as NodeJS.ErrnoException
        err.code = r.code
        finish(err, [])
      } catch {
        const err = new Error('the lookup process ended without an answer') as NodeJS.ErrnoException
        err.code = 'ELOOKUPPROCESS'
        finish(err, [])
      }
    })
    if (cancelled) killChild()
  })
  let killChild = () => {}
  let cancelled = false
  return () => {
    cancelled = true
    finished = true
    killChild()
  }
}

/** The `lookup` option of net.connect (dns.lookup's full signature: one address, or all of them). */
export type NetLookup = (
  hostname: string,
  options: {family?: number | string; hints?: number; all?: boolean},
  callback: (err: NodeJS.ErrnoException | null, address: string | {address: string; family: number}[], family?: number) => void,
) => void

/**
 * A net.connect `lookup` that can always be abandoned: answers from `known` (the addresses the
 * dns check got from getaddrinfo for this very name, in the order it returned them) when the
 * name matches, else runs `fallback` (isolatedLookup) and kills it after `timeoutMs`. So
 * node-postgres connects to exactly the addresses its own dns.lookup would return, with the
 * host name (and so TLS servername and certificate checks) unchanged, and no getaddrinfo ever
 * runs in db-doctor's own process.
 */
export function abandonableNetLookup(opts: {known?: {host: string; addresses: ResolvedAddress[]}; timeoutMs: number; fallback?: LookupFn}): NetLookup {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0)
    const answer = (list: {address: string; family: number}[]) => {
      const matching = family === 4 || family === 6 ? list.filter((a) => a.family === family) : list
      if (matching.length === 0) {
        const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException
        err.code = 'ENOTFOUND'
        return callback(err, options.all ? [] : '', 0)
      }
      if (options.all) callback(null, matching)
      else callback(null, matching[0]!.address, matching[0]!.family)
    }
    const known = opts.known
    if (known && known.host.toLowerCase() === hostname.toLowerCase() && known.addresses.length > 0) {
      return process.nextTick(() => answer(known.addresses))
    }
    systemLookup(hostname, opts.timeoutMs, opts.fallback ?? isolatedLookup).then((r) => {
      if (r.ok) return answer(r.addresses)
      const err = new Error(r.timedOut ? `getaddrinfo EAI_AGAIN ${hostname} (no answer within ${opts.timeoutMs} ms)` : r.message) as NodeJS.ErrnoException
      err.code = r.timedOut ? 'EAI_AGAIN' : r.error
      callback(err, options.all ? [] : '', 0)
    })
  }
}

/**
 * A lookup function that behaves like dns.lookup but asks the given servers
 * through c-ares instead of getaddrinfo. For tests and for --dns-server runs;
 * errors carry the same codes getaddrinfo would give (ENOTFOUND, EAI_AGAIN).
 */
export function resolverLookup(servers: string[]): LookupFn {
  const resolver = new dns.Resolver({timeout: 1000, tries: 1})
  resolver.setServers(servers)
  return (host, _options, callback) => {
    let pending = 2
    const found: {address: string; family: number}[][] = [[], []]
    const errors: NodeJS.ErrnoException[] = []
    const finish = () => {
      if (--pending > 0) return
      const all = [...found[0], ...found[1]]
      if (all.length > 0) return callback(null, all)
      const codes = errors.map((e) => e.code)
      const err = new Error(`lookup ${host} failed`) as NodeJS.ErrnoException
      err.code = codes.every((c) => c === 'ENOTFOUND' || c === 'ENODATA') ? 'ENOTFOUND' : 'EAI_AGAIN'
      callback(err, [])
    }
    resolver.resolve4(host, (err, addrs) => {
      if (err) errors.push(err)
      else found[0] = addrs.map((address) => ({address, family: 4}))
      finish()
    })
    resolver.resolve6(host, (err, addrs) => {
      if (err) errors.push(err)
      else found[1] = addrs.map((address) => ({address, family: 6}))
      finish()
    })
  }
}

// ---------------------------------------------------------------------------
// Direct queries

export interface DnsServerAddress {
  address: string
  port: number
}

export type QueryType = 'A' | 'AAAA'

export type DirectQueryResult =
  | {
      ok: true
      /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, … */
      rcode: string
      answers: string[]
      /** True when the UDP answer had TC set (the final answer then came over TCP). */
      truncated: boolean
      transport: 'udp' | 'tcp'
      ms: number
    }
  | {ok: false; error: 'timeout' | 'error'; message: string; truncated: boolean; transport: 'udp' | 'tcp'; ms: number}

const MAX_TCP_ANSWER = 65_537

/** Parse a --dns-server value: `ip`, `ip:port`, `[ipv6]:port`, bare IPv6. */
export function parseServer(spec: string): DnsServerAddress | null {
  const s = spec.trim()
  let m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  if (m) return isIP(m[1]) === 6 ? {address: m[1], port: m[2] ? Number(m[2]) : 53} : null
  if (isIP(s)) return {address: s, port: 53}
  m = /^([^:]+):(\d+)$/.exec(s)
  if (m && isIP(m[1]) === 4) return {address: m[1], port: Number(m[2])}
  return null
}

export function formatServer(server: DnsServerAddress): string {
  const host = server.address.includes(':') ? `[${server.address}]` : server.address
  return server.port === 53 ? server.address : `${host}:${server.port}`
}

/**
 * Ask one server for one record type. UDP first; when the answer is truncated,
 * ask again over TCP (2-byte length prefix). The whole exchange stays within timeoutMs.
 */
export async function queryDirect(server: DnsServerAddress, name: string, type: QueryType, timeoutMs: number): Promise<DirectQueryResult> {
  const packet = (await import('dns-packet')).default
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const id = Math.floor(Math.random() * 65_535)
  const query = {
    type: 'query' as const,
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{type, name: name.replace(/\.$/, ''), class: 'IN' as const}],
  }

  const udp = await udpExchange(server, packet.encode(query), id, timeoutMs)
  if (!udp.ok) return {ok: false, error: udp.error, message: udp.message, truncated: false, transport: 'udp', ms: elapsed()}
  let decoded = udp.packet
  if (decoded.flag_tc) {
    const remaining = timeoutMs - (performance.now() - started)
    const tcp = await tcpExchange(server, packet.streamEncode(query), id, Math.max(remaining, 1))
    if (!tcp.ok) return {ok: false, error: tcp.error, message: tcp.message, truncated: true, transport: 'tcp', ms: elapsed()}
    decoded = tcp.packet
  }
  const answers = (decoded.answers ?? [])
    .filter((a) => a.type === type)
    .map((a) => String((a as {data: unknown}).data))
  return {
    ok: true,
    rcode: (decoded as unknown as {rcode?: string}).rcode ?? 'NOERROR',
    answers,
    truncated: udp.packet.flag_tc,
    transport: udp.packet.flag_tc ? 'tcp' : 'udp',
    ms: elapsed(),
  }
}

type Decoded = import('dns-packet').DecodedPacket
type Exchange = {ok: true; packet: Decoded} | {ok: false; error: 'timeout' | 'error'; message: string}

async function udpExchange(server: DnsServerAddress, message: Buffer, id: number, timeoutMs: number): Promise<Exchange> {
  const dgram = await import('node:dgram')
  const packet = (await import('dns-packet')).default
  return new Promise((resolve) => {
    const socket = dgram.createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4')
    let done = false
    const finish = (result: Exchange) => {
      if (done) return
      done = true
      clearTimeout(timer)
      try {
        socket.close()
      } catch {}
      resolve(result)
    }
    const timer = setTimeout(
      () => finish({ok: false, error: 'timeout', message: `no answer from ${formatServer(server)} within ${timeoutMs} ms`}),
      timeoutMs,
    )
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ok: false, error: 'error', message: `${err.code ?? 'error'}: ${err.message}`}),
    )
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== server.port) return
      let decoded: Decoded
      try {
        decoded = packet.decode(msg)
      } catch {
        return // garbage: keep waiting for a real answer until the deadline
      }
      if (decoded.id !== id || decoded.type !== 'response') return
      finish({ok: true, packet: decoded})
    })
    socket.send(message, server.port, server.address, (err) => {
      if (err) finish({ok: false, error: 'error', message: `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`})
    })
  })
}

async function tcpExchange(server: DnsServerAddress, message: Buffer, id: number, timeoutMs: number): Promise<Exchange> {
  const net = await import('node:net')
  const packet = (await import('dns-packet')).default
  return new Promise((resolve) => {
    const socket = net.connect({host: server.address, port: server.port})
    let done = false
    let buf = Buffer.alloc(0)
    const finish = (result: Exchange) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(
      () => finish({ok: false, error: 'timeout', message: `no TCP answer from ${formatServer(server)} within ${timeoutMs} ms`}),
      timeoutMs,
    )
    socket.on('connect', () => socket.write(message))
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ok: false, error: 'error', message: `${err.code ?? 'error'}: ${err.message}`}),
    )
    socket.on('close', () => finish({ok: false, error: 'error', message: 'connection closed before an answer'}))
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length > MAX_TCP_ANSWER) return finish({ok: false, error: 'error', message: 'answer too large'})
      if (buf.length < 2) return
      const len = buf.readUInt16BE(0)
      if (buf.length < len + 2) return
      try {
        const decoded = packet.decode(buf.subarray(2, len + 2))
        if (decoded.id !== id) return finish({ok: false, error: 'error', message: 'answer with a wrong id'})
        finish({ok: true, packet: decoded})
      } catch (error) {
        finish({ok: false, error: 'error', message: `undecodable answer: ${(error as Error).message}`})
      }
    })
  })
}

// ---------------------------------------------------------------------------
// /etc/resolv.conf

interface ResolvConf {
  nameservers: string[]
  search: string[]
  ndots: number
}

/** Parse resolv.conf the way glibc reads it: last `search`/`domain` wins, ndots capped at 15. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = {nameservers: [], search: [], ndots: 1}
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim()
    if (!line) continue
    const [key, ...rest] = line.split(/\s+/)
    if (key === 'nameserver' && rest[0]) {
      const addr = rest[0].replace(/%.*$/, '')
      if (isIP(addr)) out.nameservers.push(rest[0])
    } else if (key === 'search') {
      out.search = rest.map((d) => d.replace(/\.$/, '')).filter(Boolean)
    } else if (key === 'domain' && rest[0]) {
      out.search = [rest[0].replace(/\.$/, '')]
    } else if (key === 'options') {
      for (const opt of rest) {
        const m = /^ndots:(\d+)$/.exec(opt)
        if (m) out.ndots = Math.min(Number(m[1]), 15)
      }
    }
  }
  return out
}

export async function readResolvConf(path = '/etc/resolv.conf'): Promise<ResolvConf & {path: string; readable: boolean}> {
  try {
    return {...parseResolvConf(await fsp.readFile(path, 'utf8')), path, readable: true}
  } catch {
    // glibc falls back to a local server when the file is missing
    return {nameservers: [], search: [], ndots: 1, path, readable: false}
  }
}

/**
 * The names libc tries for `name`, in order: with at least `ndots` dots the
 * name as given goes first, otherwise the search domains go first. A trailing
 * dot means "absolute": no search list.
 */
export function searchCandidates(name: string, conf: Pick<ResolvConf, 'search' | 'ndots'>): string[] {
  if (name.endsWith('.')) return [name]
  const dots = name.split('.').length - 1
  const absolute = `${name}.`
  const searched = conf.search.map((d) => `${name}.${d}.`)
  return dots >= conf.ndots ? [absolute, ...searched] : [...searched, absolute]
}

// ---------------------------------------------------------------------------
// /etc/hosts

interface HostsEntry {
  found: boolean
  addresses: string[]
}

export function parseHostsFor(text: string, name: string): HostsEntry {
  const wanted = name.toLowerCase().replace(/\.$/, '')
  const addresses: string[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim()
    if (!line) continue
    const [addr, ...names] = line.split(/\s+/)
    if (!isIP(addr)) continue
    if (names.some((n) => n.toLowerCase() === wanted) && !addresses.includes(addr)) addresses.push(addr)
  }
  return {found: addresses.length > 0, addresses}
}

export async function readHostsFile(name: string, path = '/etc/hosts'): Promise<HostsEntry & {path: string}> {
  try {
    return {...parseHostsFor(await fsp.readFile(path, 'utf8'), name), path}
  } catch {
    return {found: false, addresses: [], path}
  }
}
