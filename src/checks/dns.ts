// Name resolution: resolve the host the way the app does (getaddrinfo via
// dns.lookup) and, side by side, ask each nameserver directly with dns-packet,
// so that a failure can name the server, the rcode and the file the host came from.
import {isIP} from 'node:net'
import {networkInterfaces} from 'node:os'
import {settingsSnippet} from './snippets.js'
import type {DnsFacts, ResolvedAddress} from '../core/facts.js'
import type {Check, CheckContext, CheckOutcome, Fix} from '../core/types.js'
import {
  type DirectQueryResult,
  type DnsServerAddress,
  type LookupFn,
  type QueryType,
  type SystemLookupResult,
  formatServer,
  isolatedLookup,
  parseServer,
  queryDirect,
  readHostsFile,
  readResolvConf,
  searchCandidates,
  systemLookup,
} from '../probes/dns.js'
import {stripBrackets} from '../config/util.js'

export interface DnsCheckDeps {
  /**
   * Replaces the system lookup (tests without a namespace). Default: isolatedLookup, the real
   * getaddrinfo with the app's flags in a child process that is killed when the budget runs out,
   * so a stalled nameserver cannot keep db-doctor alive after its report (an in-process
   * getaddrinfo cannot be cancelled, and Node's exit waits for it).
   */
  lookup?: LookupFn
  resolvConfPath?: string
  hostsPath?: string
}

/** One server's answer for the host, after walking the search list. */
export interface ServerOutcome {
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
}

interface EvidenceRow {
  resolver: string
  name: string
  type: string
  answer: string
  ms: number
}

const FAILED = new Set(['servfail', 'refused', 'timeout', 'error'])

export function createDnsCheck(deps: DnsCheckDeps = {}): Check {
  return {
    id: 'dns',
    title: 'Name resolution',
    requires: ['config'],
    provides: ['dns'],
    uses: [],
    run: (ctx) => runDns(ctx, deps),
  }
}

export const dnsCheck: Check = createDnsCheck()

async function runDns(ctx: CheckContext, deps: DnsCheckDeps): Promise<CheckOutcome> {
  const field = ctx.config.fields.host
  if (!field || !field.value) {
    return skip('No host is configured, so there is nothing to resolve.', {})
  }
  const host = field.value.trim()
  const source = field.source.label
  if (host.startsWith('/')) {
    return skip(`The host ${host} is a Unix socket directory: no name resolution happens.`, {host, source})
  }
  const literal = stripBrackets(host)
  if (isIP(literal)) {
    const facts: DnsFacts = {host, literal: true, addresses: [{address: literal, family: isIP(literal) as 4 | 6}]}
    ctx.facts.dns = facts
    return {
      status: 'pass',
      code: null,
      summary: `${literal} is an IP address: no name resolution needed.`,
      evidence: {host, source, literal: true},
      fix: null,
    }
  }

  const timeoutMs = ctx.options.timeoutMs
  const resolv = await readResolvConf(deps.resolvConfPath)
  const hosts = await readHostsFile(host, deps.hostsPath)

  // Which servers to ask directly.
  const servers: {server: DnsServerAddress; source: ServerOutcome['source']}[] = []
  const badSpecs: string[] = []
  if (ctx.options.dnsServers.length > 0) {
    for (const spec of ctx.options.dnsServers) {
      const s = parseServer(spec)
      if (s) servers.push({server: s, source: '--dns-server'})
      else badSpecs.push(spec)
    }
  } else {
    for (const ns of resolv.nameservers) {
      const s = parseServer(ns.replace(/%.*$/, ''))
      if (s) servers.push({server: s, source: 'resolv.conf'})
    }
  }
  const local = isLocalhostName(host)
  const candidates = searchCandidates(host, resolv)

  const [system, direct] = await Promise.all([
    systemLookup(host, timeoutMs, deps.lookup ?? isolatedLookup),
    local ? Promise.resolve([] as ServerOutcome[]) : Promise.all(servers.map((s) => askServer(s.server, s.source, candidates, timeoutMs))),
  ])

  const systemRow: EvidenceRow = {
    resolver: 'system (getaddrinfo)',
    name: host,
    type: 'A+AAAA',
    answer: system.ok ? system.addresses.map((a) => a.address).join(', ') || '(none)' : system.error,
    ms: system.ms,
  }
  const table = [systemRow, ...direct.flatMap((d) => d.rows)]
  const decisive = direct.find((d) => !FAILED.has(d.outcome))
  const dnsAnswer = decisive?.outcome === 'answer' ? decisive : undefined
  const searchedAs =
    dnsAnswer && dnsAnswer.name !== `${host.replace(/\.$/, '')}.` && !host.endsWith('.') ? dnsAnswer.name : undefined

  const facts: DnsFacts = {
    host,
    literal: false,
    addresses: system.ok ? system.addresses : [],
    fromHostsFile: hosts.found && system.ok ? true : undefined,
    servers: direct.map((d) => ({server: d.server, ...(FAILED.has(d.outcome) ? {error: d.outcome} : {}), rcode: rcodeOf(d)})),
    systemError: system.ok ? undefined : system.error,
    searchedAs,
  }
  ctx.facts.dns = facts

  const evidence: Record<string, unknown> = {
    host,
    source,
    resolvers: table,
    resolvConf: {
      path: resolv.path,
      nameservers: resolv.nameservers,
      search: resolv.search,
      ndots: resolv.ndots,
    },
  }
  if (hosts.found) evidence.hostsFile = {path: hosts.path, addresses: hosts.addresses}
  if (searchedAs) evidence.searchedAs = searchedAs
  if (badSpecs.length) evidence.ignoredDnsServers = badSpecs
  if (servers.length === 0 && !local) evidence.note = 'no nameserver to ask directly (none in resolv.conf, no --dns-server)'

  const notes: string[] = []
  if (searchedAs) notes.push(`the short name \`${host}\` was tried as \`${searchedAs}\` (search list in ${resolv.path})`)
  const hostRef = `\`${host}\` (host ← ${source})`
  const failedServers = direct.filter((d) => FAILED.has(d.outcome))

  // ---- The system lookup succeeded: the app gets addresses.
  if (system.ok && system.addresses.length > 0) {
    const addrs = system.addresses
    const list = addrs.map((a) => a.address).join(', ')
    const dnsAddrs = dnsAnswer ? [...dnsAnswer.a, ...dnsAnswer.aaaa] : []

    // Differences between what the app gets and what DNS says.
    if (dnsAnswer) {
      const diff = compare(addrs, dnsAnswer)
      if (diff) {
        const why = hosts.found
          ? `${hosts.path} maps it to ${hosts.addresses.join(', ')}`
          : 'a cache, split-horizon DNS or another resolver on this machine answers differently'
        return {
          status: 'warn',
          code: 'DNS_RESOLVERS_DISAGREE',
          summary: `${hostRef} resolves to ${list} for the app, but ${dnsAnswer.server} answers ${dnsAddrs.join(', ')}${hosts.found ? ` (${hosts.path} overrides DNS)` : ''}.`,
          evidence: {...evidence, systemAnswer: list, dnsAnswer: dnsAddrs.join(', '), dnsServer: dnsAnswer.server, ...diff},
          fix: disagreeFix(host, source, hosts.found ? hosts.path : undefined, why),
        }
      }
    }

    if (!local && addrs.every((a) => a.family === 6)) {
      return ipv6Only(ctx, host, source, evidence, list, true)
    }

    if (hosts.found && local) notes.push(`from ${hosts.path}`)
    else if (hosts.found) notes.push(`the app gets it from ${hosts.path}${dnsAnswer ? ' (DNS agrees)' : ', DNS has no record of it'}`)
    else if (!local && !dnsAnswer && servers.length > 0) {
      notes.push(
        failedServers.length === direct.length
          ? `the direct queries failed (${failedServers.map((f) => `${f.server}: ${f.outcome}`).join(', ')}) but the system resolver answered`
          : 'DNS has no record of it; the system resolves it some other way (nsswitch)',
      )
    }
    return {
      status: 'pass',
      code: null,
      summary: `${host} resolves to ${list}${notes.length ? `; ${notes.join('; ')}` : ''}.`,
      evidence,
      fix: null,
    }
  }

  // ---- The app gets no address.
  const err = system.ok ? 'ENOTFOUND' : system.error
  const timedOutServers = failedServers.filter((d) => d.outcome === 'timeout')

  if (!system.ok && system.timedOut) {
    return timeout(host, source, evidence, timeoutMs, timedOutServers.length ? timedOutServers : failedServers, 'the system resolver')
  }

  if (err === 'EAI_AGAIN' || (err !== 'ENOTFOUND' && err !== 'ENODATA' && err !== 'EAI_NONAME' && err !== 'EAI_NODATA')) {
    if (failedServers.length > 0 && timedOutServers.length === failedServers.length && !decisive) {
      return timeout(host, source, evidence, timeoutMs, timedOutServers, `getaddrinfo (${err})`)
    }
    const named = failedServers.length ? failedServers.map((f) => `${f.server} (${f.outcome.toUpperCase()})`).join(', ') : 'the system resolver'
    return {
      status: 'fail',
      code: 'DNS_TEMPORARY_FAILURE',
      summary: `Resolving ${hostRef} failed temporarily (${err}): ${named} could not answer.`,
      evidence: {
        ...evidence,
        systemError: err,
        failedServers: failedServers.map((f) => ({server: f.server, outcome: f.outcome})),
        ...(err === 'EAI_AGAIN'
          ? {appWouldSay: `getaddrinfo EAI_AGAIN ${host} (psql: could not translate host name "${host}" to address: Temporary failure in name resolution)`}
          : {}),
      },
      fix: {
        summary: `The DNS server ${failedServers[0]?.server ?? 'in use'} failed to answer for ${host}; the name itself may be fine.`,
        steps: [
          `Check that ${failedServers[0] ? `the nameserver ${failedServers[0].server}` : `the nameservers in ${resolv.path}`} works and can reach the zone of ${host} (SERVFAIL usually means its upstream or DNSSEC failed; REFUSED means it does not serve you).`,
          'On a VPN or corporate network, the private zone may only resolve while connected: reconnect, then run db-doctor again.',
          `Inside Docker, 127.0.0.11 is Docker's embedded DNS: it forwards to the host's resolvers (see the docker check).`,
          `To compare servers, run db-doctor check --dns-server <ip> with a resolver you trust.`,
        ],
      },
    }
  }

  // ENOTFOUND: does DNS know something the system lookup does not?
  if (dnsAnswer && dnsAnswer.a.length === 0 && dnsAnswer.aaaa.length > 0) {
    return ipv6Only(ctx, host, source, {...evidence, systemError: err}, dnsAnswer.aaaa.join(', '), false)
  }
  if (dnsAnswer && dnsAnswer.a.length + dnsAnswer.aaaa.length > 0) {
    const dnsList = [...dnsAnswer.a, ...dnsAnswer.aaaa].join(', ')
    return {
      status: 'fail',
      code: 'DNS_RESOLVERS_DISAGREE',
      summary: `The app's lookup of ${hostRef} fails (${err}), but ${dnsAnswer.server} answers ${dnsList}.`,
      evidence: {...evidence, systemError: err, dnsAnswer: dnsList, dnsServer: dnsAnswer.server},
      fix: disagreeFix(host, source, undefined, `the system resolver does not ask ${dnsAnswer.server} (or gets a different answer from it)`),
    }
  }

  return {
    status: 'fail',
    code: 'DNS_NOT_FOUND',
    summary: `${hostRef} does not exist in DNS (${err}${decisive ? `; ${decisive.server} says ${decisive.outcome.toUpperCase()}` : ''})${notes.length ? `; ${notes.join('; ')}` : ''}.`,
    evidence: {
      ...evidence,
      systemError: err,
      appWouldSay: `getaddrinfo ENOTFOUND ${host} (psql: could not translate host name "${host}" to address: Name or service not known)`,
    },
    fix: {
      summary: `Correct the host in ${source}: nothing resolves \`${host}\`.`,
      steps: [
        `Check the spelling of \`${host}\` in ${source}.`,
        ...(/\.rds\.amazonaws\.com\.?$/i.test(host)
          ? ['RDS endpoints change when an instance is restored from a snapshot or recreated under another identifier: copy the current endpoint from the RDS console (Databases → Connectivity & security).']
          : []),
        'If the database instance was rebuilt or renamed (e.g. a new RDS endpoint, a recreated cloud instance, a changed SSH tunnel target), copy the current endpoint from the provider console.',
        'If the name lives in a private DNS zone (VPC, VPN, corporate DNS), run this from inside that network or connect the VPN first.',
        ...(isShortName(host) && resolv.search.length === 0
          ? [`\`${host}\` is a short name and ${resolv.path} has no search domains: use the fully qualified name.`]
          : []),
        ...(isShortName(host) ? [`If \`${host}\` is a docker compose service name, it only resolves inside containers on the same network (see the docker check).`] : []),
      ],
    },
  }
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
  for (const name of candidates) {
    const remaining = Math.round(deadline - performance.now())
    if (remaining <= 0) {
      failure ??= {outcome: 'timeout', name}
      break
    }
    const [a, aaaa] = await Promise.all(
      (['A', 'AAAA'] as QueryType[]).map((t) => queryDirect(server, name, t, remaining)),
    )
    rows.push(row(label, name, 'A', a), row(label, name, 'AAAA', aaaa))
    const ans = (r: DirectQueryResult) => (r.ok && r.rcode === 'NOERROR' ? r.answers : [])
    if (ans(a).length + ans(aaaa).length > 0) {
      return {server: label, source, outcome: 'answer', name, a: ans(a), aaaa: ans(aaaa), rows}
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
      failure ??= {outcome, name, detail: bad.ok ? bad.rcode : bad.message}
      if (!bad.ok && bad.error === 'timeout') break // the budget is spent
      continue
    }
    if ([a, aaaa].some((r) => r.ok && r.rcode === 'NOERROR')) nodata ??= name
  }
  if (failure) return {server: label, source, outcome: failure.outcome, name: failure.name, a: [], aaaa: [], rows, detail: failure.detail}
  if (nodata) return {server: label, source, outcome: 'nodata', name: nodata, a: [], aaaa: [], rows}
  return {server: label, source, outcome: 'nxdomain', name: candidates[candidates.length - 1] ?? '', a: [], aaaa: [], rows}
}

function row(resolver: string, name: string, type: QueryType, r: DirectQueryResult): EvidenceRow {
  let answer: string
  if (!r.ok) answer = r.error === 'timeout' ? 'timeout' : `error: ${r.message}`
  else if (r.rcode !== 'NOERROR') answer = r.rcode
  else answer = r.answers.length ? r.answers.join(', ') : 'NOERROR (no records)'
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
      if ((family === 4 && i.family === 'IPv4') || (family === 6 && i.family === 'IPv6' && !i.address.startsWith('fe80'))) return true
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

function ipv6Only(ctx: CheckContext, host: string, source: string, evidence: Record<string, unknown>, list: string, systemOk: boolean): CheckOutcome {
  const supabase = /^db\.([a-z0-9]+)\.supabase\.co\.?$/i.exec(host)
  const steps = supabase
    ? [
        `Supabase's direct host ${host} is IPv6-only. From an IPv4-only network use the Supavisor pooler: copy the Session pooler connection string from the project's Connect dialog (Dashboard → Connect). Its host is aws-<N>-<region>.pooler.supabase.com, and the number and region are your project's own: copy them, never guess them.`,
        `The pooler wants the user postgres.${supabase[1]} (not postgres). Port 5432 is session mode (what migrations and prepared statements need); 6543 is transaction mode (serverless, no session state).`,
        `Put it in ${source}.`,
        'Or enable the IPv4 add-on for the project (the direct host then gets an IPv4 address), or give the network the app runs on IPv6.',
      ]
    : [
        `Use an endpoint of ${host} that has an IPv4 (A) record, if the provider offers one (a pooler, a proxy, an IPv4 add-on), and put it in ${source}.`,
        'Or give the network the app runs on IPv6: many CI runners and Docker\'s default bridge have none (compose: `enable_ipv6: true` on a user-defined network, plus IPv6 routing on the host).',
      ]
  const fix: Fix = {
    summary: systemOk
      ? `${host} has only IPv6 addresses: it works here, but not from IPv4-only networks.`
      : `${host} has only IPv6 addresses and this machine resolves only IPv4: switch to an IPv4 endpoint.`,
    steps,
  }
  if (supabase) {
    fix.snippet = settingsSnippet(ctx.config, {host: '<Session pooler host from Connect>', port: '5432', user: `postgres.${supabase[1]}`})
  }
  return {
    status: systemOk ? 'warn' : 'fail',
    code: 'DNS_IPV6_ONLY',
    summary: systemOk
      ? `${host} (host ← ${source}) resolves only to IPv6 (${list}); IPv4-only networks such as many CI runners and Docker's default bridge cannot reach it.`
      : `${host} (host ← ${source}) has only AAAA records (${list}) and this machine has no IPv6, so the app's lookup finds nothing.`,
    evidence: {...evidence, ipv6Only: true},
    fix,
  }
}

function timeout(
  host: string,
  source: string,
  evidence: Record<string, unknown>,
  timeoutMs: number,
  servers: ServerOutcome[],
  who: string,
): CheckOutcome {
  const named = servers.length ? servers.map((s) => s.server).join(', ') : who
  return {
    status: 'fail',
    code: 'DNS_TIMEOUT',
    summary: `No answer for ${host} (host ← ${source}) within ${timeoutMs} ms from ${named}.`,
    evidence: {...evidence, timeoutMs, silentServers: servers.map((s) => s.server)},
    fix: {
      summary: `The nameserver ${named} does not answer: DNS traffic is blocked or the server is down.`,
      steps: [
        `Check that ${named} is reachable on port 53 (UDP and TCP) from here: firewalls and VPN split tunnels often drop DNS.`,
        'If you are on a VPN or corporate network, reconnect; if resolv.conf was written by a VPN client that is no longer running, restore it.',
        'Inside Docker, 127.0.0.11 forwards to the host\'s resolvers: see the docker check.',
        'Raise --timeout if the network is just slow.',
      ],
    },
  }
}

function disagreeFix(host: string, source: string, hostsPath: string | undefined, why: string): Fix {
  return {
    summary: `The app and DNS see different addresses for ${host}: ${why}.`,
    steps: [
      ...(hostsPath ? [`Remove or update the ${host} line in ${hostsPath} if it is stale.`] : []),
      'Flush the local DNS cache (systemd-resolved: resolvectl flush-caches; macOS: sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder).',
      'With split-horizon DNS (VPN, VPC), the answer depends on where you ask: run db-doctor where the app runs.',
      `If the address the app gets is wrong, change the host in ${source} to the current endpoint.`,
    ],
  }
}

function skip(summary: string, evidence: Record<string, unknown>): CheckOutcome {
  return {status: 'skip', code: null, summary, evidence, fix: null}
}

function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '')
  return h === 'localhost' || h.endsWith('.localhost')
}

function isShortName(host: string): boolean {
  return !host.replace(/\.$/, '').includes('.')
}
