// Name resolution: resolve the host the way the app does (getaddrinfo via
// dns.lookup) and, side by side, ask each nameserver directly with dns-packet,
// so that a failure can name the server, the rcode and the file the host came from.
// Data only: the words of every outcome are in src/catalogue/dns.ts.
import {isUnixSocketHost} from '../config/connection-string.js'
import {isIP} from 'node:net'
import {networkInterfaces} from 'node:os'
import {settingsSnippet} from '../catalogue/snippets.js'
import type {DnsFacts, ResolvedAddress} from '../core/facts.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {
  DNS_IPV6_ONLY,
  DNS_NOT_FOUND,
  DNS_RESOLVERS_DISAGREE,
  DNS_TEMPORARY_FAILURE,
  DNS_TIMEOUT,
  directAnswer,
  dnsEvidenceSays,
  dnsSays,
  type DnsNote,
  dnsEntries,
} from '../catalogue/dns.js'
import {
  type DirectQueryResult,
  type DnsServerAddress,
  type LookupFn,
  type QueryType,
  formatServer,
  guardedLookup,
  type LookupRoute,
  type NameserverWalk,
  parseServer,
  promptMs,
  queryDirect,
  readHostsFile,
  readResolvConf,
  searchCandidates,
  systemLookup,
  walkProblem,
} from '../probes/dns.js'
import {stripBrackets} from '../config/util.js'
import {closest} from '../core/spelling.js'

declare module '../core/facts.js' {
  interface Facts {
    dns?: DnsFacts
  }
}

interface DnsCheckDeps {
  /**
   * Replaces the system lookup (tests without a namespace). Default: guardedLookup, the real
   * getaddrinfo in this process when the nameservers it asks have just answered this check's
   * own direct queries promptly and cleanly (or the name is in the hosts file read first), else
   * in a child process that is killed when the budget runs out, so a stalled nameserver cannot
   * keep db-doctor alive after its report (an in-process getaddrinfo cannot be cancelled, and
   * Node's exit waits for it).
   */
  lookup?: LookupFn
  resolvConfPath?: string
  hostsPath?: string
  nsswitchPath?: string
}

/** One server's answer for the host, after walking the search list. */
interface ServerOutcome {
  server: string
  source: 'resolv.conf' | '--dns-server'
  /** answer: records found; nxdomain/nodata: definitive "no"; the others: the server failed. */
  outcome: 'answer' | 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'error'
  /** The fully qualified name that produced the outcome. */
  name: string
  a: string[]
  aaaa: string[]
  rows: EvidenceRow[]
  detail?: string
  /** Every query of the walk answered promptly over UDP with NOERROR/NXDOMAIN (what lets getaddrinfo run in-process). */
  walk: NameserverWalk
}

interface EvidenceRow {
  resolver: string
  name: string
  type: string
  answer: string
  ms: number
}

const FAILED = new Set(['servfail', 'refused', 'timeout', 'error'])

export function createDnsCheck(deps: DnsCheckDeps = {}): RegisteredCheck<'dns'> {
  return {
    id: 'dns',
    title: dnsSays.title(),
    establishes: dnsSays.establishes(),
    codes: [dnsEntries],
    requires: ['config'],
    provides: ['dns'],
    uses: [],
    run: (ctx) => runDns(ctx, deps),
  }
}

export const dnsCheck: RegisteredCheck<'dns'> = createDnsCheck()

async function runDns(ctx: CheckContext, deps: DnsCheckDeps): Promise<CheckOutcome> {
  const field = ctx.config.fields.host
  if (!field || !field.value) {
    return skip(dnsSays.noHost(), {})
  }
  const host = field.value.trim()
  const source = field.source.label
  if (isUnixSocketHost(host)) {
    return skip(dnsSays.socket({host}), {host, source})
  }
  const literal = stripBrackets(host)
  if (isIP(literal)) {
    const facts: DnsFacts = {host, literal: true, addresses: [{address: literal, family: isIP(literal) as 4 | 6}]}
    ctx.facts.dns = facts
    return {
      status: 'pass',
      code: null,
      summary: dnsSays.literal({address: literal}),
      evidence: {host, source, literal: true},
      fix: null,
    }
  }
  const seen = await lookUp(ctx, deps, host)
  ctx.facts.dns = dnsFacts(seen)
  const named = {host, source}
  const evidence = dnsEvidence(seen, named)
  if (seen.system.ok && seen.system.addresses.length > 0)
    return resolved(ctx, seen, named, evidence, seen.system.addresses)
  return notResolved(ctx, seen, named, evidence)
}

/** What the app's lookup and each nameserver asked directly said about the host. */
interface DnsSeen {
  host: string
  /** localhost or *.localhost: no nameserver is asked */
  local: boolean
  timeoutMs: number
  resolv: Awaited<ReturnType<typeof readResolvConf>>
  hosts: Awaited<ReturnType<typeof readHostsFile>>
  /** the servers asked directly, and the --dns-server values that are not addresses */
  servers: {server: DnsServerAddress; source: ServerOutcome['source']}[]
  badSpecs: string[]
  /** the app's lookup (getaddrinfo) and where it ran */
  system: Awaited<ReturnType<typeof systemLookup>>
  route: LookupRoute | undefined
  direct: ServerOutcome[]
  /** the first server that answered (records, NXDOMAIN or no data), and its answer when it has records */
  decisive: ServerOutcome | undefined
  dnsAnswer: ServerOutcome | undefined
  /** the fully qualified name the search list made of a short host, when it did */
  searchedAs: string | undefined
  failedServers: ServerOutcome[]
}

/** The app's lookup and, side by side, the nameservers asked directly. */
async function lookUp(ctx: CheckContext, deps: DnsCheckDeps, host: string): Promise<DnsSeen> {
  const timeoutMs = ctx.options.timeoutMs
  // two small files, each read through the threadpool (neither read rejects): side by side, not one after the other
  const [resolv, hosts] = await Promise.all([readResolvConf(deps.resolvConfPath), readHostsFile(host, deps.hostsPath)])
  const {servers, badSpecs} = serversToAsk(ctx.options.dnsServers, resolv.nameservers)
  const local = isLocalhostName(host)
  const candidates = searchCandidates(host, resolv)

  const asking = local
    ? Promise.resolve([] as ServerOutcome[])
    : Promise.all(servers.map((s) => askServer(s.server, s.source, candidates, timeoutMs)))
  // The direct queries to resolv.conf's servers are the ones getaddrinfo is about to make: when
  // they come back promptly and cleanly, getaddrinfo runs in this process (guardedLookup).
  let route: LookupRoute | undefined
  const fromResolvConf = servers.length > 0 && servers.every((s) => s.source === 'resolv.conf')
  const lookup =
    deps.lookup ??
    guardedLookup(
      {
        resolvConfPath: deps.resolvConfPath,
        hostsPath: deps.hostsPath,
        nsswitchPath: deps.nsswitchPath,
        promptMs: promptMs(timeoutMs),
        walks: () => (fromResolvConf && !local ? asking.then((d) => d.map((o) => o.walk)) : null),
        onRoute: (r) => (route = r),
      },
      timeoutMs,
    )
  const [system, direct] = await Promise.all([systemLookup(host, timeoutMs, lookup), asking])

  const decisive = direct.find((d) => !FAILED.has(d.outcome))
  const dnsAnswer = decisive?.outcome === 'answer' ? decisive : undefined
  const searchedAs =
    dnsAnswer && dnsAnswer.name !== `${host.replace(/\.$/, '')}.` && !host.endsWith('.') ? dnsAnswer.name : undefined
  const failedServers = direct.filter((d) => FAILED.has(d.outcome))
  return {
    host,
    local,
    timeoutMs,
    resolv,
    hosts,
    servers,
    badSpecs,
    system,
    route,
    direct,
    decisive,
    dnsAnswer,
    searchedAs,
    failedServers,
  }
}

/** Which servers to ask directly: the --dns-server values, else resolv.conf's nameservers. */
function serversToAsk(
  dnsServers: readonly string[],
  nameservers: readonly string[],
): Pick<DnsSeen, 'servers' | 'badSpecs'> {
  const servers: DnsSeen['servers'] = []
  const badSpecs: string[] = []
  if (dnsServers.length > 0) {
    for (const spec of dnsServers) {
      const s = parseServer(spec)
      if (s) servers.push({server: s, source: '--dns-server'})
      else badSpecs.push(spec)
    }
  } else {
    for (const ns of nameservers) {
      const s = parseServer(ns.replace(/%.*$/, ''))
      if (s) servers.push({server: s, source: 'resolv.conf'})
    }
  }
  return {servers, badSpecs}
}

function dnsFacts(s: DnsSeen): DnsFacts {
  const {system} = s
  return {
    host: s.host,
    literal: false,
    addresses: system.ok ? system.addresses : [],
    fromHostsFile: s.hosts.found && system.ok ? true : undefined,
    servers: s.direct.map((d) => ({
      server: d.server,
      ...(FAILED.has(d.outcome) ? {error: d.outcome} : {}),
      rcode: rcodeOf(d),
    })),
    systemError: system.ok ? undefined : system.error,
    searchedAs: s.searchedAs,
  }
}

/** The evidence every outcome shares: each resolver's answer, resolv.conf, the hosts file, where the lookup ran. */
function dnsEvidence(s: DnsSeen, named: {host: string; source: string}): Evidence {
  const {system, resolv, hosts} = s
  const systemRow: EvidenceRow = {
    resolver: 'system (getaddrinfo)',
    name: s.host,
    type: 'A+AAAA',
    answer: system.ok ? system.addresses.map((a) => a.address).join(', ') || '(none)' : system.error,
    ms: system.ms,
  }
  const evidence: Record<string, unknown> = {
    ...named,
    resolvers: [systemRow, ...s.direct.flatMap((d) => d.rows)],
    resolvConf: {
      path: resolv.path,
      nameservers: resolv.nameservers,
      search: resolv.search,
      ndots: resolv.ndots,
    },
  }
  if (s.route)
    evidence.systemLookup = {
      ranIn: s.route.in === 'process' ? 'db-doctor' : 'child process',
      why: dnsEvidenceSays.route(s.route.why),
    }
  if (hosts.found) evidence.hostsFile = {path: hosts.path, addresses: hosts.addresses}
  if (s.searchedAs) evidence.searchedAs = s.searchedAs
  if (s.badSpecs.length) evidence.ignoredDnsServers = s.badSpecs
  if (s.servers.length === 0 && !s.local) evidence.note = dnsEvidenceSays.noNameserver()
  return evidence
}

/** The notes every summary starts with: the search list made the name. */
function searchNotes(s: DnsSeen): DnsNote[] {
  return s.searchedAs ? [{kind: 'searched-as', host: s.host, searchedAs: s.searchedAs, resolvConf: s.resolv.path}] : []
}

/** The app gets addresses: they match DNS (pass), DNS says otherwise, or they are IPv6 only. */
function resolved(
  ctx: CheckContext,
  s: DnsSeen,
  named: {host: string; source: string},
  evidence: Evidence,
  addrs: ResolvedAddress[],
): CheckOutcome {
  const {hosts, dnsAnswer, local} = s
  const list = addrs.map((a) => a.address)
  const dnsAddrs = dnsAnswer ? [...dnsAnswer.a, ...dnsAnswer.aaaa] : []

  // Differences between what the app gets and what DNS says.
  const diff = dnsAnswer ? compare(addrs, dnsAnswer) : null
  if (dnsAnswer && diff) {
    return DNS_RESOLVERS_DISAGREE.emit(
      {
        ...named,
        case: 'app-differs',
        appAddresses: list,
        server: dnsAnswer.server,
        dnsAddresses: dnsAddrs,
        hostsFile: hosts.found ? {path: hosts.path, addresses: hosts.addresses} : null,
      },
      {
        ...evidence,
        systemAnswer: list.join(', '),
        dnsAnswer: dnsAddrs.join(', '),
        dnsServer: dnsAnswer.server,
        ...diff,
      },
    )
  }

  if (!local && addrs.every((a) => a.family === 6)) return ipv6Only(ctx, named, evidence, list, true)

  const notes = searchNotes(s)
  if (hosts.found && local) notes.push({kind: 'hosts-file-local', path: hosts.path})
  else if (hosts.found) notes.push({kind: 'hosts-file', path: hosts.path, dnsAgrees: !!dnsAnswer})
  else if (!local && !dnsAnswer && s.servers.length > 0) {
    notes.push(
      s.failedServers.length === s.direct.length
        ? {
            kind: 'direct-queries-failed',
            failures: s.failedServers.map((f) => ({server: f.server, outcome: f.outcome})),
          }
        : {kind: 'system-only'},
    )
  }
  const summary = dnsSays.resolves({host: s.host, addresses: list, notes})
  return {status: 'pass', code: null, summary, evidence, fix: null}
}

/** The app gets no address: a timeout, a temporary failure, DNS knows better, or the name does not exist. */
function notResolved(
  ctx: CheckContext,
  s: DnsSeen,
  named: {host: string; source: string},
  evidence: Evidence,
): CheckOutcome {
  const {system, failedServers, decisive, dnsAnswer, timeoutMs, host} = s
  const err = system.ok ? 'ENOTFOUND' : system.error
  const timedOutServers = failedServers.filter((d) => d.outcome === 'timeout')

  if (!system.ok && system.timedOut) {
    return timeout(named, evidence, timeoutMs, timedOutServers.length ? timedOutServers : failedServers, null)
  }

  if (
    err === 'EAI_AGAIN' ||
    (err !== 'ENOTFOUND' && err !== 'ENODATA' && err !== 'EAI_NONAME' && err !== 'EAI_NODATA')
  ) {
    if (failedServers.length > 0 && timedOutServers.length === failedServers.length && !decisive) {
      return timeout(named, evidence, timeoutMs, timedOutServers, err)
    }
    const failed = failedServers.map((f) => ({server: f.server, outcome: f.outcome}))
    return DNS_TEMPORARY_FAILURE.emit(
      {...named, error: err, failed, resolvConf: s.resolv.path},
      {
        ...evidence,
        systemError: err,
        failedServers: failed,
        ...(err === 'EAI_AGAIN' ? {appWouldSay: dnsEvidenceSays.appWouldSay({error: 'EAI_AGAIN', host})} : {}),
      },
    )
  }

  // ENOTFOUND: does DNS know something the system lookup does not?
  if (dnsAnswer && dnsAnswer.a.length === 0 && dnsAnswer.aaaa.length > 0) {
    return ipv6Only(ctx, named, {...evidence, systemError: err}, dnsAnswer.aaaa, false)
  }
  if (dnsAnswer && dnsAnswer.a.length + dnsAnswer.aaaa.length > 0) {
    const dnsAddresses = [...dnsAnswer.a, ...dnsAnswer.aaaa]
    return DNS_RESOLVERS_DISAGREE.emit(
      {...named, case: 'app-fails', error: err, server: dnsAnswer.server, dnsAddresses},
      {...evidence, systemError: err, dnsAnswer: dnsAddresses.join(', '), dnsServer: dnsAnswer.server},
      {status: 'fail'},
    )
  }

  // 'localhots', 'locahost': a typo of the one name every machine has
  const meant = closest(host.replace(/\.$/, ''), ['localhost'])
  const didYouMean =
    meant && meant !== host.toLowerCase() ? {host: meant, snippet: settingsSnippet(ctx.config, {host: meant})} : null
  return DNS_NOT_FOUND.emit(
    {
      ...named,
      didYouMean,
      error: err,
      decisive: decisive ? {server: decisive.server, outcome: decisive.outcome} : null,
      notes: searchNotes(s),
      resolvConf: s.resolv.path,
      searchDomains: s.resolv.search.length,
    },
    {...evidence, systemError: err, appWouldSay: dnsEvidenceSays.appWouldSay({error: 'ENOTFOUND', host})},
  )
}

// ---------------------------------------------------------------------------

async function askServer(
  server: DnsServerAddress,
  source: ServerOutcome['source'],
  candidates: string[],
  timeoutMs: number,
): Promise<ServerOutcome> {
  const label = formatServer(server)
  const deadline = performance.now() + timeoutMs
  const rows: EvidenceRow[] = []
  let failure: {outcome: ServerOutcome['outcome']; name: string; detail?: string} | undefined
  let nodata: string | undefined
  let walk: NameserverWalk = {server: label, clean: true}
  for (const name of candidates) {
    const remaining = Math.round(deadline - performance.now())
    if (remaining <= 0) {
      failure ??= {outcome: 'timeout', name}
      if (walk.clean) walk = {server: label, clean: false, problem: 'timeout'}
      break
    }
    const [a, aaaa] = await Promise.all(
      (['A', 'AAAA'] as QueryType[]).map((t) => queryDirect(server, name, t, remaining)),
    )
    rows.push(row(label, name, 'A', a), row(label, name, 'AAAA', aaaa))
    const problem = walkProblem([a, aaaa])
    if (problem && walk.clean) walk = {server: label, clean: false, problem}
    const ans = (r: DirectQueryResult) => (r.ok && r.rcode === 'NOERROR' ? r.answers : [])
    if (ans(a).length + ans(aaaa).length > 0) {
      return {server: label, source, outcome: 'answer', name, a: ans(a), aaaa: ans(aaaa), rows, walk}
    }
    const bad = [a, aaaa].find((r) => !r.ok || (r.rcode !== 'NOERROR' && r.rcode !== 'NXDOMAIN'))
    if (bad) {
      const outcome: ServerOutcome['outcome'] = !bad.ok
        ? bad.error
        : bad.rcode === 'SERVFAIL'
          ? 'servfail'
          : bad.rcode === 'REFUSED'
            ? 'refused'
            : 'error'
      failure ??= {outcome, name, detail: bad.ok ? bad.rcode : dnsEvidenceSays.queryFailure(bad.failure)}
      if (!bad.ok && bad.error === 'timeout') break // the budget is spent
      continue
    }
    if ([a, aaaa].some((r) => r.ok && r.rcode === 'NOERROR')) nodata ??= name
  }
  if (failure)
    return {
      server: label,
      source,
      outcome: failure.outcome,
      name: failure.name,
      a: [],
      aaaa: [],
      rows,
      detail: failure.detail,
      walk,
    }
  if (nodata) return {server: label, source, outcome: 'nodata', name: nodata, a: [], aaaa: [], rows, walk}
  return {
    server: label,
    source,
    outcome: 'nxdomain',
    name: candidates[candidates.length - 1] ?? '',
    a: [],
    aaaa: [],
    rows,
    walk,
  }
}

function row(resolver: string, name: string, type: QueryType, r: DirectQueryResult): EvidenceRow {
  let answer = directAnswer(r)
  if (r.truncated) answer += ' (truncated, retried over TCP)'
  return {resolver, name, type, answer, ms: r.ms}
}

function rcodeOf(d: ServerOutcome): string {
  switch (d.outcome) {
    case 'answer':
    case 'nodata':
      return 'NOERROR'
    case 'nxdomain':
      return 'NXDOMAIN'
    case 'servfail':
      return 'SERVFAIL'
    case 'refused':
      return 'REFUSED'
    case 'timeout':
      return 'TIMEOUT'
    default:
      return 'ERROR'
  }
}

/** Differences between the app's addresses and the DNS answer; null when they agree. */
function compare(system: ResolvedAddress[], dns: ServerOutcome): Record<string, unknown> | null {
  const result: Record<string, unknown> = {}
  let differs = false
  for (const family of [4, 6] as const) {
    const sys = new Set(system.filter((a) => a.family === family).map((a) => normalizeIp(a.address)))
    const fromDns = new Set((family === 4 ? dns.a : dns.aaaa).map(normalizeIp))
    if (sys.size === 0 && fromDns.size > 0 && !hasInterfaceOfFamily(family)) {
      // getaddrinfo's AI_ADDRCONFIG drops a family this machine has no address for.
      result[`ipv${family}FilteredByAddrconfig`] = true
      continue
    }
    if (sys.size !== fromDns.size || [...sys].some((a) => !fromDns.has(a))) differs = true
  }
  return differs ? result : null
}

function hasInterfaceOfFamily(family: 4 | 6): boolean {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.internal) continue
      if (
        (family === 4 && i.family === 'IPv4') ||
        (family === 6 && i.family === 'IPv6' && !i.address.startsWith('fe80'))
      )
        return true
    }
  }
  return false
}

function normalizeIp(ip: string): string {
  if (isIP(ip) !== 6) return ip
  // expand to a canonical form so "2001:db8::10" equals "2001:0db8:0:0:0:0:0:10"
  const [head, tail] = ip.toLowerCase().split('::')
  const h = head ? head.split(':') : []
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : []
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  return groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':')
}

function ipv6Only(
  ctx: CheckContext,
  named: {host: string; source: string},
  evidence: Evidence,
  addresses: string[],
  systemOk: boolean,
): CheckOutcome {
  const supabase = /^db\.([a-z0-9]+)\.supabase\.co\.?$/i.exec(named.host)
  const supabaseRef = supabase ? supabase[1]! : null
  // the app's own settings rewritten for the Supavisor session pooler (placeholders for what only the project knows)
  const poolerSnippet = supabaseRef
    ? settingsSnippet(ctx.config, {
        host: '<Session pooler host from Connect>',
        port: '5432',
        user: `postgres.${supabaseRef}`,
      })
    : undefined
  return DNS_IPV6_ONLY.emit(
    {...named, addresses, systemOk, supabaseRef, ...(poolerSnippet ? {poolerSnippet} : {})},
    {...evidence, ipv6Only: true},
    {status: systemOk ? 'warn' : 'fail'},
  )
}

function timeout(
  named: {host: string; source: string},
  evidence: Evidence,
  timeoutMs: number,
  servers: ServerOutcome[],
  lookupError: string | null,
): CheckOutcome {
  return DNS_TIMEOUT.emit(
    {...named, timeoutMs, silent: servers.map((s) => s.server), lookupError},
    {...evidence, timeoutMs, silentServers: servers.map((s) => s.server)},
  )
}

function skip(summary: string, evidence: Record<string, unknown>): CheckOutcome {
  return {status: 'skip', code: null, summary, evidence, fix: null}
}

function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '')
  return h === 'localhost' || h.endsWith('.localhost')
}
