// Name-resolution probes: the system lookup exactly as the app does it, direct
// DNS queries over UDP/TCP with dns-packet, and readers for /etc/resolv.conf and
// /etc/hosts. The only DNS code that touches sockets.
import type {ChildProcess} from 'node:child_process'
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
  /** the budget ran out (the caller words it: it knows the budget) */
  | {ok: false; error: 'ETIMEOUT'; ms: number; timedOut: true}
  /** getaddrinfo's own error, its code and message as Node gives them */
  | {ok: false; error: string; message: string; ms: number; timedOut: false}

/**
 * How many real getaddrinfo calls are still running in libuv's threadpool in THIS process
 * (inProcessLookup). Node's exit joins the threadpool, so while this is above zero
 * process.exit() waits for glibc's own timeout (timeout × attempts per server).
 */
let pending = 0

export function pendingSystemLookups(): number {
  return pending
}

/** dns.lookup in this process, counted by pendingSystemLookups() until it calls back. */
const inProcessLookup: LookupFn = (host, options, callback) => {
  pending++
  let called = false
  try {
    dns.lookup(host, options, (err, addresses) => {
      if (called) return
      called = true
      pending--
      callback(err, addresses as {address: string; family: number}[])
    })
  } catch (error) {
    if (!called) {
      called = true
      pending--
    }
    throw error
  }
}

/**
 * Resolve `host` the way node-postgres' socket does: net.connect calls
 * dns.lookup with hints ADDRCONFIG and (autoSelectFamily being on by default in
 * Node 20) all: true; the order is the one the runtime returns (verbatim unless
 * --dns-result-order says otherwise). A lookup is raced against the budget; one that
 * returns a cancel function (a child process) is cancelled when the budget runs out, an
 * in-process getaddrinfo is left to finish (see pendingSystemLookups).
 */
export function systemLookup(
  host: string,
  timeoutMs: number,
  lookup: LookupFn = inProcessLookup,
): Promise<SystemLookupResult> {
  const started = performance.now()
  const ms = () => Math.round(performance.now() - started)
  return new Promise((resolve) => {
    let done = false
    let cancel: void | (() => void)
    const timer = setTimeout(() => {
      if (done) return
      done = true
      if (typeof cancel === 'function') cancel() // a cancelled lookup never calls back
      resolve({ok: false, error: 'ETIMEOUT', ms: ms(), timedOut: true})
    }, timeoutMs)
    try {
      cancel = lookup(host, {all: true, hints: dns.ADDRCONFIG}, (err, addresses) => {
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
 * The lookup children still running, killed when this process exits: a run that ends before a lookup's
 * budget (`wait` cut short by its deadline or a signal, cli/finish.ts exiting at once) would otherwise
 * leave an unref'd child waiting on a silent nameserver for glibc's timeout × attempts.
 */
const lookupChildren = new Set<ChildProcess>()
function trackLookupChild(child: ChildProcess): void {
  if (lookupChildren.size === 0) process.once('exit', killLookupChildren)
  lookupChildren.add(child)
  child.once('exit', () => {
    lookupChildren.delete(child)
    if (lookupChildren.size === 0) process.removeListener('exit', killLookupChildren)
  })
}
function killLookupChildren(): void {
  for (const c of lookupChildren) c.kill('SIGKILL')
}

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
  const nodeOptions = (process.env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((a) => a.startsWith('--dns-result-order'))
    .join(' ')
  const env = {...process.env, NODE_OPTIONS: nodeOptions}
  // Spawned lazily so that importing this module stays free.
  import('node:child_process').then(({spawn}) => {
    if (finished) return
    const child = spawn(process.execPath, [...orderFlags, '-e', ISOLATED_SCRIPT, host, String(options.hints)], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env,
    })
    killChild = () => child.kill('SIGKILL')
    trackLookupChild(child)
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

// ---------------------------------------------------------------------------
// Which process runs getaddrinfo

/**
 * Where the app's getaddrinfo is modelled: in this process (fast, and what the app itself
 * does), or in a killable child (isolatedLookup), when the nameservers getaddrinfo would ask
 * did not answer the same questions promptly and cleanly, or when the resolver setup goes
 * through something a direct query cannot see. `why` says which, for the evidence (as data: the catalogue
 * words it, dnsEvidenceSays.route in src/catalogue/dns.ts).
 */
export type LookupRoute = {in: 'process' | 'child'; why: RouteWhy}

/** Why getaddrinfo runs where it does. */
export type RouteWhy =
  | {is: 'ip-literal'}
  | {is: 'hosts-file-first'}
  | {is: 'slow'; ms: number}
  | {is: 'unclean'; server: string; problem: string | null}
  | {is: 'not-all-asked'}
  | {is: 'prompt'; servers: string[]}
  | {is: 'route-error'; message: string}
  | Unseen

/** Why a direct query cannot model getaddrinfo with this resolver setup. */
type Unseen =
  | {is: 'nss-services'; services: string[]}
  | {is: 'nss-no-dns'}
  | {is: 'resolver-env'}
  | {is: 'resolv-unreadable'; path: string}
  | {is: 'use-vc'}
  | {is: 'no-nameserver'; path: string}

/** What glibc's resolver does with resolv.conf, nsswitch.conf and the environment, as far as the route goes. */
interface ResolverSetup {
  resolvConf: string
  /** The nameservers getaddrinfo asks, in order (glibc uses the first three). */
  nameservers: DnsServerAddress[]
  search: string[]
  ndots: number
  /** How many of them must answer cleanly: the first (glibc asks it first, and the next only after a failure), or all (rotate). */
  mustAnswer: number
  /** options no-aaaa: glibc asks A only. */
  noAaaa: boolean
  /** nsswitch asks /etc/hosts before DNS, with only local services before it. */
  filesFirst: boolean
  /** Why the direct query cannot model getaddrinfo here (then the child runs it); null when it can. */
  unseen: Unseen | null
}

const MAXNS = 3
/** nsswitch services that answer from local files or state only (no network, no daemon). */
const LOCAL_NSS = new Set(['files', 'myhostname'])

/** The services of the `hosts:` line of nsswitch.conf, in order (actions like [NOTFOUND=return] dropped). */
export function parseNsswitchHosts(text: string): string[] | null {
  let services: string[] | null = null
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim()
    const m = /^hosts\s*:(.*)$/.exec(line)
    if (m)
      services = m[1]!
        .replace(/\[[^\]]*\]/g, ' ')
        .split(/\s+/)
        .filter(Boolean)
  }
  return services
}

/** resolv.conf options that change how getaddrinfo talks to the nameservers. */
export function parseResolvOptions(text: string): {rotate: boolean; useVc: boolean; noAaaa: boolean} {
  const out = {rotate: false, useVc: false, noAaaa: false}
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim()
    const [key, ...rest] = line.split(/\s+/)
    if (key !== 'options') continue
    for (const opt of rest) {
      if (opt === 'rotate') out.rotate = true
      else if (opt === 'use-vc' || opt === 'usevc') out.useVc = true
      else if (opt === 'no-aaaa') out.noAaaa = true
    }
  }
  return out
}

export async function readResolverSetup(
  paths: {resolvConf?: string; nsswitch?: string} = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolverSetup> {
  const resolvPath = paths.resolvConf ?? '/etc/resolv.conf'
  const [resolvText, nssText] = await Promise.all([
    fsp.readFile(resolvPath, 'utf8').catch(() => null),
    fsp.readFile(paths.nsswitch ?? '/etc/nsswitch.conf', 'utf8').catch(() => null),
  ])
  const conf = parseResolvConf(resolvText ?? '')
  const opts = parseResolvOptions(resolvText ?? '')
  const nameservers = conf.nameservers
    .map((ns) => parseServer(ns.replace(/%.*$/, '')))
    .filter((s): s is DnsServerAddress => s !== null)
    .slice(0, MAXNS)
  // Without nsswitch.conf glibc uses "dns files" for hosts (and musl reads the hosts file first, with no NSS at all).
  const services = (nssText === null ? null : parseNsswitchHosts(nssText)) ?? ['dns', 'files']
  const dnsAt = services.indexOf('dns')
  const filesAt = services.indexOf('files')
  let unseen: Unseen | null = null
  const other = services.filter((s) => s !== 'dns' && !LOCAL_NSS.has(s))
  if (other.length) unseen = {is: 'nss-services', services: other}
  else if (dnsAt < 0) unseen = {is: 'nss-no-dns'}
  else if (env.RES_OPTIONS || env.LOCALDOMAIN || env.HOSTALIASES) unseen = {is: 'resolver-env'}
  else if (resolvText === null) unseen = {is: 'resolv-unreadable', path: resolvPath}
  else if (opts.useVc) unseen = {is: 'use-vc'}
  else if (nameservers.length === 0) unseen = {is: 'no-nameserver', path: resolvPath}
  return {
    resolvConf: resolvPath,
    nameservers,
    search: conf.search,
    ndots: conf.ndots,
    mustAnswer: opts.rotate ? nameservers.length : Math.min(1, nameservers.length),
    noAaaa: opts.noAaaa,
    // the hosts file answers first when only local services come before it (dns absent counts as last)
    filesFirst:
      filesAt >= 0 && (dnsAt < 0 || filesAt < dnsAt) && services.slice(0, filesAt).every((s) => LOCAL_NSS.has(s)),
    unseen,
  }
}

/** One nameserver's walk of the search list as getaddrinfo makes it, asked directly. */
export interface NameserverWalk {
  server: string
  /** Every query answered over UDP, untruncated, with NOERROR or NXDOMAIN, up to the name that has records. */
  clean: boolean
  /** When not clean: what went wrong first (SERVFAIL, timeout, truncated…). */
  problem?: string
}

/**
 * Ask `server` what getaddrinfo would ask it, in the same order: each candidate of the search
 * list, A and AAAA (A only with no-aaaa), stopping at the first name with records.
 */
async function walkNameserver(
  server: DnsServerAddress,
  candidates: string[],
  types: QueryType[],
  timeoutMs: number,
): Promise<NameserverWalk> {
  const label = formatServer(server)
  const deadline = performance.now() + timeoutMs
  for (const name of candidates) {
    const remaining = Math.round(deadline - performance.now())
    if (remaining <= 0) return {server: label, clean: false, problem: 'timeout'}
    const answers = await Promise.all(types.map((t) => queryDirect(server, name, t, remaining)))
    const problem = walkProblem(answers)
    if (problem) return {server: label, clean: false, problem}
    if (answers.some((r) => r.ok && r.rcode === 'NOERROR' && r.answers.length > 0)) break
  }
  return {server: label, clean: true}
}

/** Why these answers would not let getaddrinfo finish at once (null: they would). */
export function walkProblem(answers: DirectQueryResult[]): string | null {
  for (const r of answers) {
    if (!r.ok) return r.error === 'timeout' ? 'timeout' : 'error'
    if (r.truncated) return 'truncated (getaddrinfo would retry over TCP)'
    if (r.rcode !== 'NOERROR' && r.rcode !== 'NXDOMAIN') return r.rcode
  }
  return null
}

/** How long the direct queries may take before getaddrinfo goes to the child instead. */
export function promptMs(timeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(timeoutMs / 2)))
}

interface GuardedOptions {
  resolvConfPath?: string
  hostsPath?: string
  nsswitchPath?: string
  /** The caller's own walk of the nameservers for this name (the dns check asks them anyway). */
  walks?: (setup: ResolverSetup) => Promise<NameserverWalk[]> | null
  /** How long the walk may take (default promptMs of the lookup's budget). */
  promptMs?: number
  /** Told where the lookup ran, and why. */
  onRoute?: (route: LookupRoute) => void
}

/** Where getaddrinfo for `host` can run without being able to hold the process: see LookupRoute. */
async function routeLookup(host: string, opts: GuardedOptions & {promptMs: number}): Promise<LookupRoute> {
  if (isIP(host.replace(/^\[|\]$/g, ''))) return {in: 'process', why: {is: 'ip-literal'}}
  const setup = await readResolverSetup({resolvConf: opts.resolvConfPath, nsswitch: opts.nsswitchPath})
  // A hit in a hosts file read first ends getaddrinfo before any nameserver or module is asked,
  // so what the direct query cannot see (no nameserver, a module after files) does not matter then.
  if (setup.filesFirst && (await readHostsFile(host, opts.hostsPath)).found)
    return {in: 'process', why: {is: 'hosts-file-first'}}
  if (setup.unseen) return {in: 'child', why: setup.unseen}
  const asked = setup.nameservers.slice(0, setup.mustAnswer)
  const own = opts.walks?.(setup)
  const types: QueryType[] = setup.noAaaa ? ['A'] : ['A', 'AAAA']
  const walking =
    own ?? Promise.all(asked.map((s) => walkNameserver(s, searchCandidates(host, setup), types, opts.promptMs)))
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), opts.promptMs)))
  const walks = await Promise.race([walking, late])
  clearTimeout(timer)
  if (!walks) return {in: 'child', why: {is: 'slow', ms: opts.promptMs}}
  const labels = new Set(asked.map(formatServer))
  const relevant = walks.filter((w) => labels.has(w.server))
  const bad = relevant.find((w) => !w.clean)
  if (bad) return {in: 'child', why: {is: 'unclean', server: bad.server, problem: bad.problem ?? null}}
  if (relevant.length < labels.size) return {in: 'child', why: {is: 'not-all-asked'}}
  return {in: 'process', why: {is: 'prompt', servers: [...labels]}}
}

/**
 * The lookup db-doctor uses for the app's getaddrinfo: the real getaddrinfo in this process
 * when the nameservers it will ask have just answered the same questions promptly (or the
 * name is in the hosts file read first), so the app's own resolution (hosts file, nsswitch,
 * AI_ADDRCONFIG, ordering) is what gets modelled at no extra cost; otherwise in a child
 * process that is killed when the budget runs out (isolatedLookup), because an in-process
 * getaddrinfo stuck on a silent nameserver keeps Node from exiting. What is left: a server
 * that answers the direct questions and then not getaddrinfo's own can still hold the exit
 * for glibc's own timeout (timeout × attempts); a truncated answer (a TCP retry, which can
 * stall for longer) always goes to the child.
 */
export function guardedLookup(opts: GuardedOptions = {}, budgetMs?: number): LookupFn {
  return (host, options, callback) => {
    let cancelled = false
    let cancelChild: (() => void) | undefined
    const prompt = opts.promptMs ?? promptMs(budgetMs ?? 5000)
    routeLookup(host, {...opts, promptMs: prompt})
      .catch((error: Error): LookupRoute => ({in: 'child', why: {is: 'route-error', message: error.message}}))
      .then((route) => {
        opts.onRoute?.(route)
        if (cancelled) return
        if (route.in === 'process') inProcessLookup(host, options, callback)
        else cancelChild = isolatedLookup(host, options, callback) || undefined
      })
      .catch((error: NodeJS.ErrnoException) => {
        if (!cancelled) callback(error, [])
      })
    return () => {
      cancelled = true
      cancelChild?.()
    }
  }
}

/** The `lookup` option of net.connect (dns.lookup's full signature: one address, or all of them). */
export type NetLookup = (
  hostname: string,
  options: {family?: number | string; hints?: number; all?: boolean},
  callback: (
    err: NodeJS.ErrnoException | null,
    address: string | {address: string; family: number}[],
    family?: number,
  ) => void,
) => void

/**
 * A net.connect `lookup` that can always be abandoned: answers from `known` (the addresses the
 * dns check got from getaddrinfo for this very name, in the order it returned them) when the
 * name matches, else runs `fallback` (guardedLookup: in this process only when the nameservers
 * have just answered promptly, else in a child killed after `timeoutMs`). So node-postgres
 * connects to exactly the addresses its own dns.lookup would return, with the host name (and
 * so TLS servername and certificate checks) unchanged, and a stalled nameserver cannot hold
 * db-doctor's process.
 */
export function abandonableNetLookup(opts: {
  known?: {host: string; addresses: ResolvedAddress[]}
  timeoutMs: number
  fallback?: LookupFn
}): NetLookup {
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
    systemLookup(hostname, opts.timeoutMs, opts.fallback ?? guardedLookup({}, opts.timeoutMs)).then((r) => {
      if (r.ok) return answer(r.addresses)
      const err = new Error(
        r.timedOut ? `getaddrinfo EAI_AGAIN ${hostname} (no answer within ${opts.timeoutMs} ms)` : r.message,
      ) as NodeJS.ErrnoException
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
  | {
      ok: false
      error: 'timeout' | 'error'
      failure: QueryFailure
      truncated: boolean
      transport: 'udp' | 'tcp'
      ms: number
    }

/** What went wrong with a direct query, as data (dnsEvidenceSays.queryFailure in src/catalogue/dns.ts words it). */
export type QueryFailure =
  | {is: 'silent'; server: string; ms: number; transport: 'udp' | 'tcp'}
  | {is: 'socket'; code: string; message: string}
  | {is: 'closed'}
  | {is: 'too-large'}
  | {is: 'wrong-id'}
  | {is: 'undecodable'; message: string}

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
export async function queryDirect(
  server: DnsServerAddress,
  name: string,
  type: QueryType,
  timeoutMs: number,
): Promise<DirectQueryResult> {
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
  if (!udp.ok)
    return {ok: false, error: udp.error, failure: udp.failure, truncated: false, transport: 'udp', ms: elapsed()}
  let decoded = udp.packet
  if (decoded.flag_tc) {
    const remaining = timeoutMs - (performance.now() - started)
    const tcp = await tcpExchange(server, packet.streamEncode(query), id, Math.max(remaining, 1))
    if (!tcp.ok)
      return {ok: false, error: tcp.error, failure: tcp.failure, truncated: true, transport: 'tcp', ms: elapsed()}
    decoded = tcp.packet
  }
  const answers = (decoded.answers ?? []).filter((a) => a.type === type).map((a) => String((a as {data: unknown}).data))
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
type Exchange = {ok: true; packet: Decoded} | {ok: false; error: 'timeout' | 'error'; failure: QueryFailure}

async function udpExchange(
  server: DnsServerAddress,
  message: Buffer,
  id: number,
  timeoutMs: number,
): Promise<Exchange> {
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
      () =>
        finish({
          ok: false,
          error: 'timeout',
          failure: {is: 'silent', server: formatServer(server), ms: timeoutMs, transport: 'udp'},
        }),
      timeoutMs,
    )
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ok: false, error: 'error', failure: {is: 'socket', code: err.code ?? 'error', message: err.message}}),
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
      if (err)
        finish({
          ok: false,
          error: 'error',
          failure: {is: 'socket', code: (err as NodeJS.ErrnoException).code ?? 'error', message: err.message},
        })
    })
  })
}

async function tcpExchange(
  server: DnsServerAddress,
  message: Buffer,
  id: number,
  timeoutMs: number,
): Promise<Exchange> {
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
      () =>
        finish({
          ok: false,
          error: 'timeout',
          failure: {is: 'silent', server: formatServer(server), ms: timeoutMs, transport: 'tcp'},
        }),
      timeoutMs,
    )
    socket.on('connect', () => socket.write(message))
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ok: false, error: 'error', failure: {is: 'socket', code: err.code ?? 'error', message: err.message}}),
    )
    socket.on('close', () => finish({ok: false, error: 'error', failure: {is: 'closed'}}))
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length > MAX_TCP_ANSWER) return finish({ok: false, error: 'error', failure: {is: 'too-large'}})
      if (buf.length < 2) return
      const len = buf.readUInt16BE(0)
      if (buf.length < len + 2) return
      try {
        const decoded = packet.decode(buf.subarray(2, len + 2))
        if (decoded.id !== id) return finish({ok: false, error: 'error', failure: {is: 'wrong-id'}})
        finish({ok: true, packet: decoded})
      } catch (error) {
        finish({ok: false, error: 'error', failure: {is: 'undecodable', message: (error as Error).message}})
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

export async function readResolvConf(
  path = '/etc/resolv.conf',
): Promise<ResolvConf & {path: string; readable: boolean}> {
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
