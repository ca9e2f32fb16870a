// Codes of the `dns` check, and the check's words: the summaries and fixes of its outcomes, built
// from the params the check emits (src/checks/dns.ts holds data only).
import type {Fix, Snippet} from '../core/types.js'
import type {DirectQueryResult, QueryFailure, RouteWhy} from '../probes/dns.js'
import {define, messages} from './types.js'

/** The host and where it is set (the source's label). */
interface Named {
  host: string
  /** e.g. "DATABASE_URL in .env" */
  source: string
}

/** What the check noticed on the way (said after the summary). */
export type DnsNote =
  | {kind: 'searched-as'; host: string; searchedAs: string; resolvConf: string}
  | {kind: 'hosts-file-local'; path: string}
  | {kind: 'hosts-file'; path: string; dnsAgrees: boolean}
  | {kind: 'direct-queries-failed'; failures: Array<{server: string; outcome: string}>}
  | {kind: 'system-only'}

function noteText(n: DnsNote): string {
  switch (n.kind) {
    case 'searched-as':
      return `the short name \`${n.host}\` was tried as \`${n.searchedAs}\` (search list in ${n.resolvConf})`
    case 'hosts-file-local':
      return `from ${n.path}`
    case 'hosts-file':
      return `the app gets it from ${n.path}${n.dnsAgrees ? ' (DNS agrees)' : ', DNS has no record of it'}`
    case 'direct-queries-failed':
      return `the direct queries failed (${n.failures.map((f) => `${f.server}: ${f.outcome}`).join(', ')}) but the system resolver answered`
    case 'system-only':
      return 'DNS has no record of it; the system resolves it some other way (nsswitch)'
  }
}

function notesText(notes: readonly DnsNote[]): string {
  return notes.length ? `; ${notes.map(noteText).join('; ')}` : ''
}

function hostRef(p: Named): string {
  return `\`${p.host}\` (host ← ${p.source})`
}

function isShortName(host: string): boolean {
  return !host.replace(/\.$/, '').includes('.')
}

/** The dns check's evidence lines that are words. */
export const dnsEvidenceSays = messages({
  noNameserver: () => 'no nameserver to ask directly (none in resolv.conf, no --dns-server)',
  /** what went wrong with a direct query (src/probes/dns.ts queryDirect) */
  queryFailure: (f: QueryFailure) => {
    switch (f.is) {
      case 'silent':
        return `no ${f.transport === 'tcp' ? 'TCP ' : ''}answer from ${f.server} within ${f.ms} ms`
      case 'socket':
        return `${f.code}: ${f.message}`
      case 'closed':
        return 'connection closed before an answer'
      case 'too-large':
        return 'answer too large'
      case 'wrong-id':
        return 'answer with a wrong id'
      case 'undecodable':
        return `undecodable answer: ${f.message}`
    }
  },
  /** why the app's getaddrinfo ran in db-doctor or in a child process (src/probes/dns.ts routeLookup) */
  route: (w: RouteWhy) => {
    switch (w.is) {
      case 'ip-literal':
        return 'an IP address (no resolver is asked)'
      case 'hosts-file-first':
        return 'the name is in the hosts file, which is read before DNS'
      case 'slow':
        return `the nameservers did not answer within ${w.ms} ms`
      case 'unclean':
        return `${w.server}: ${w.problem ?? 'no clean answer'}`
      case 'not-all-asked':
        return 'not every nameserver getaddrinfo asks was asked'
      case 'prompt':
        return `${w.servers.join(', ')} answered promptly`
      case 'route-error':
        return `route: ${w.message}`
      case 'nss-services':
        return `nsswitch.conf resolves hosts through ${w.services.join(', ')}`
      case 'nss-no-dns':
        return 'nsswitch.conf does not ask DNS'
      case 'resolver-env':
        return 'RES_OPTIONS, LOCALDOMAIN or HOSTALIASES change the resolver'
      case 'resolv-unreadable':
        return `${w.path} cannot be read`
      case 'use-vc':
        return 'resolv.conf says use-vc (queries over TCP)'
      case 'no-nameserver':
        return `no nameserver in ${w.path}`
    }
  },
  /** what the app's lookup error reads like, with psql's wording of the same failure */
  appWouldSay: (p: {error: 'EAI_AGAIN' | 'ENOTFOUND'; host: string}) =>
    p.error === 'EAI_AGAIN'
      ? `getaddrinfo EAI_AGAIN ${p.host} (psql: could not translate host name "${p.host}" to address: Temporary failure in name resolution)`
      : `getaddrinfo ENOTFOUND ${p.host} (psql: could not translate host name "${p.host}" to address: Name or service not known)`,
})

/** Pass and skip summaries of the dns check. */
export const dnsSays = messages({
  /** the check's title in reports */
  title: () => 'Name resolution',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    'what the host resolves to, as the app resolves it (`dns.lookup`) and directly from the nameservers',
  noHost: () => 'No host is configured, so there is nothing to resolve.',
  socket: (p: {host: string}) => `The host ${p.host} is a Unix socket directory: no name resolution happens.`,
  literal: (p: {address: string}) => `${p.address} is an IP address: no name resolution needed.`,
  resolves: (p: {host: string; addresses: string[]; notes: DnsNote[]}) =>
    `${p.host} resolves to ${p.addresses.join(', ')}${notesText(p.notes)}.`,
})

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

type DnsNotFoundParams = Named & {
  /** The app's lookup error: ENOTFOUND, ENODATA, EAI_NONAME… */
  error: string
  /** The first server that gave a definitive answer (NXDOMAIN / NODATA). */
  decisive: {server: string; outcome: string} | null
  notes: DnsNote[]
  resolvConf: string
  searchDomains: number
  /** The name a typo most likely meant ('localhots' → localhost), with the setting written where it is set. */
  didYouMean: {host: string; snippet: Snippet} | null
}

type DnsTemporaryParams = Named & {
  error: string
  failed: Array<{server: string; outcome: string}>
  resolvConf: string
}

type DnsTimeoutParams = Named & {
  timeoutMs: number
  /** The servers that stayed silent (none: the system lookup itself timed out). */
  silent: string[]
  /** getaddrinfo's error when it gave up first (EAI_AGAIN…); null when the system lookup timed out. */
  lookupError: string | null
}

type DnsIpv6OnlyParams = Named & {
  addresses: string[]
  /** The app's lookup works here (only IPv4-only networks break). */
  systemOk: boolean
  /** Supabase project ref of a db.<ref>.supabase.co host. */
  supabaseRef: string | null
  /** The app's settings rewritten for the Supavisor session pooler (placeholders), for Supabase hosts. */
  poolerSnippet?: Snippet
}

type DnsDisagreeParams = Named & {server: string; dnsAddresses: string[]} & (
    | {case: 'app-differs'; appAddresses: string[]; hostsFile: {path: string; addresses: string[]} | null}
    | {case: 'app-fails'; error: string}
  )

/** The silent servers, or the lookup that gave up. */
function silentNamed(p: DnsTimeoutParams): string {
  return p.silent.length
    ? p.silent.join(', ')
    : p.lookupError
      ? `getaddrinfo (${p.lookupError})`
      : 'the system resolver'
}

export const DNS_NOT_FOUND = define<DnsNotFoundParams>({
  code: 'DNS_NOT_FOUND',
  check: 'dns',
  status: 'fail',
  title: 'Host name does not exist',
  meaning:
    'The name does not exist (NXDOMAIN / `ENOTFOUND`, "Name or service not known"): a typo, a stale endpoint after a rebuild or restore (RDS, an SSH tunnel target), or a private zone not visible from here.',
  causes: [
    'a typo in the host',
    'a stale endpoint after a rebuild, restore or rename (RDS, Cloud SQL, Neon branch)',
    'a private zone (VPC, VPN, compose network) not visible from where this runs',
  ],
  fix: 'Fix the host in the variable or file named, or run where the private zone resolves (VPN, VPC).',
  // A compose service not yet started, or a Kubernetes headless Service with no ready pod, is
  // NXDOMAIN until the database comes up: `wait` keeps trying (a typo then runs to --deadline,
  // and the final report still says DNS_NOT_FOUND).
  transient: true,
  matchers: [
    // not Supavisor's "(ENOTFOUND) tenant/user … not found" (POOLER_TENANT_NOT_FOUND)
    {re: /ENOTFOUND(?!\) tenant)/, needle: 'enotfound'},
    'Name or service not known',
    'nodename nor servname provided',
    'No such host is known',
    {
      re: /could not translate host name "[^"]{0,300}" to address: (?:Name or service not known|nodename nor servname|No address associated|Unknown host|No such host)/i,
      needle: 'could not translate host name',
    },
    'NXDOMAIN',
  ],
  examples: [
    {
      source: 'node',
      text: "Error: getaddrinfo ENOTFOUND db.example.invalid\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26) { errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'db.example.invalid' }",
    },
    {
      source: 'libpq',
      text: 'psql: error: could not translate host name "db.example.invalid" to address: Name or service not known',
    },
    {
      source: 'aws-rds',
      text: 'psql: error: could not translate host name "mydb.c9akciq32.us-east-1.rds.amazonaws.com" to address: Name or service not known',
    },
  ],
  summary: (p) =>
    `${hostRef(p)} does not exist in DNS (${p.error}${p.decisive ? `; ${p.decisive.server} says ${p.decisive.outcome.toUpperCase()}` : ''})${notesText(p.notes)}.${p.didYouMean ? ` Did you mean ${p.didYouMean.host}?` : ''}`,
  buildFix: (p) => ({
    summary: p.didYouMean
      ? `Did you mean ${p.didYouMean.host}? Correct the host in ${p.source}: nothing resolves \`${p.host}\`.`
      : `Correct the host in ${p.source}: nothing resolves \`${p.host}\`.`,
    ...(p.didYouMean ? {snippet: p.didYouMean.snippet} : {}),
    steps: [
      `Check the spelling of \`${p.host}\` in ${p.source}.`,
      ...(/\.rds\.amazonaws\.com\.?$/i.test(p.host)
        ? [
            'RDS endpoints change when an instance is restored from a snapshot or recreated under another identifier: copy the current endpoint from the RDS console (Databases → Connectivity & security).',
          ]
        : []),
      'If the database instance was rebuilt or renamed (e.g. a new RDS endpoint, a recreated cloud instance, a changed SSH tunnel target), copy the current endpoint from the provider console.',
      'If the name lives in a private DNS zone (VPC, VPN, corporate DNS), run this from inside that network or connect the VPN first.',
      ...(isShortName(p.host) && p.searchDomains === 0
        ? [`\`${p.host}\` is a short name and ${p.resolvConf} has no search domains: use the fully qualified name.`]
        : []),
      ...(isShortName(p.host)
        ? [
            `If \`${p.host}\` is a docker compose service name, it only resolves inside containers on the same network (see the docker check).`,
          ]
        : []),
    ],
  }),
})

export const DNS_TEMPORARY_FAILURE = define<DnsTemporaryParams>({
  code: 'DNS_TEMPORARY_FAILURE',
  check: 'dns',
  status: 'fail',
  title: 'Nameserver failed',
  meaning: 'The nameserver named in the report failed (SERVFAIL, REFUSED, `EAI_AGAIN`).',
  causes: [
    'the resolver in /etc/resolv.conf is down or refuses this client',
    'a VPN or corporate DNS that lost its upstream',
    'DNSSEC or upstream failure for this zone (SERVFAIL)',
  ],
  fix: 'Fix or replace that resolver, reconnect the VPN, compare with `--dns-server`.',
  transient: true,
  matchers: ['EAI_AGAIN', 'Temporary failure in name resolution', 'SERVFAIL', 'ESERVFAIL'],
  examples: [
    {
      source: 'node',
      text: 'Error: getaddrinfo EAI_AGAIN db.internal.example\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:120:26)',
    },
    {
      source: 'libpq',
      text: 'psql: error: could not translate host name "db.internal.example" to address: Temporary failure in name resolution',
    },
  ],
  summary: (p) =>
    `Resolving ${hostRef(p)} failed temporarily (${p.error}): ${p.failed.length ? p.failed.map((f) => `${f.server} (${f.outcome.toUpperCase()})`).join(', ') : 'the system resolver'} could not answer.`,
  buildFix: (p) => ({
    summary: `The DNS server ${p.failed[0]?.server ?? 'in use'} failed to answer for ${p.host}; the name itself may be fine.`,
    steps: [
      `Check that ${p.failed[0] ? `the nameserver ${p.failed[0].server}` : `the nameservers in ${p.resolvConf}`} works and can reach the zone of ${p.host} (SERVFAIL usually means its upstream or DNSSEC failed; REFUSED means it does not serve you).`,
      'On a VPN or corporate network, the private zone may only resolve while connected: reconnect, then run db-doctor again.',
      `Inside Docker, 127.0.0.11 is Docker's embedded DNS: it forwards to the host's resolvers (see the docker check).`,
      `To compare servers, run db-doctor check --dns-server <ip> with a resolver you trust.`,
    ],
  }),
})

export const DNS_TIMEOUT = define<DnsTimeoutParams>({
  code: 'DNS_TIMEOUT',
  check: 'dns',
  status: 'fail',
  title: 'Nameserver did not answer',
  meaning: 'The nameserver named in the report did not answer within `--timeout`.',
  causes: [
    'UDP/TCP 53 blocked by a firewall or VPN split tunnel',
    'a dead nameserver still listed in /etc/resolv.conf',
  ],
  fix: 'Open UDP/TCP 53 to it (firewall, VPN split tunnel) or fix `/etc/resolv.conf`.',
  transient: true,
  matchers: [
    'ETIMEOUT',
    // Go's resolver (pgx, the Supabase CLI, Cloud SQL Auth Proxy): "lookup <name> on <server>:53: … i/o timeout"
    {re: /lookup \S{1,255} on \S{1,100}:53: .{0,200}i\/o timeout/, needle: 'i/o timeout'},
  ],
  examples: [
    {
      source: 'node',
      text: 'Error: queryA ETIMEOUT db.example.com\n    at QueryReqWrap.onresolve [as oncomplete] (node:internal/dns/promises:291:17)',
    },
    {
      source: 'supabase',
      text: 'hostname resolving error (lookup db.example.supabase.co on 8.8.8.8:53: read udp 10.0.0.107:48636->8.8.8.8:53: i/o timeout)',
    },
  ],
  summary: (p) => `No answer for ${p.host} (host ← ${p.source}) within ${p.timeoutMs} ms from ${silentNamed(p)}.`,
  buildFix: (p) => ({
    summary: `The nameserver ${silentNamed(p)} does not answer: DNS traffic is blocked or the server is down.`,
    steps: [
      `Check that ${silentNamed(p)} is reachable on port 53 (UDP and TCP) from here: firewalls and VPN split tunnels often drop DNS.`,
      'If you are on a VPN or corporate network, reconnect; if resolv.conf was written by a VPN client that is no longer running, restore it.',
      "Inside Docker, 127.0.0.11 forwards to the host's resolvers: see the docker check.",
      'Raise --timeout if the network is just slow.',
    ],
  }),
})

export const DNS_IPV6_ONLY = define<DnsIpv6OnlyParams>({
  code: 'DNS_IPV6_ONLY',
  check: 'dns',
  status: 'warn',
  statusText: 'warn (fail when this machine has no IPv6 at all)',
  title: 'Host has IPv6 addresses only',
  meaning:
    "The host has AAAA records only: IPv4-only networks (many CI runners, Docker's default bridge) cannot reach it — Supabase direct hosts, for example.",
  causes: [
    'a Supabase direct host (db.<ref>.supabase.co) used from an IPv4-only network',
    'an IPv6-only endpoint used from a CI runner or Docker bridge without IPv6',
  ],
  fix: "Use an IPv4 endpoint; for Supabase the pooler string copied from the project's Connect dialog (host `aws-<N>-<region>.pooler.supabase.com`, number and region your project's own; user `postgres.<ref>`; port 5432 session mode, 6543 transaction mode), or the IPv4 add-on.",
  transient: false,
  matchers: [
    {re: /\bENETUNREACH [0-9a-f]{1,4}:[0-9a-f:]{2,40}/i, needle: 'enetunreach'},
    {
      re: /Network is unreachable[^\n]{0,200}\b(?:supabase\.co|[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f:]{2,40})/i,
      needle: 'network is unreachable',
    },
    {
      re: /\(\s?[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f:]{2,40}\s?\), port \d{1,5} failed: Network is unreachable/i,
      needle: 'network is unreachable',
    },
    // Go clients (the Supabase CLI, pgx): https://github.com/supabase/cli/issues/3318
    {
      re: /dial tcp \[[0-9a-f]{1,4}:[0-9a-f:]{2,40}\]:\d{1,5}: connect: (?:no route to host|network is unreachable)/i,
      needle: 'dial tcp [',
    },
  ],
  examples: [
    // Supabase direct hosts (db.<ref>.supabase.co) are IPv6-only: https://github.com/n8n-io/n8n/issues/17262 (Node),
    // https://github.com/slowfound/supabase-database-backup/issues/4 (libpq), https://github.com/supabase/cli/issues/3318 (Go)
    {source: 'supabase', text: 'Error: connect ENETUNREACH 2406:da14:271:9901:9d9f:d659:40d6:6a21:5432 - Local (:::0)'},
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "db.abcdefghijklmnop.supabase.co" (2406:da18:243:7412:3b2a:9b3e:8c45:4a2b), port 5432 failed: Network is unreachable',
    },
    {
      source: 'supabase',
      text: 'failed to connect to `host=db.abcdefghijklmnop.supabase.co user=postgres database=postgres`: dial error (dial tcp [2406:da14:271:9903:c1bf:5f4c:ff8a:9e0c]:5432: connect: no route to host)',
    },
  ],
  summary: (p) =>
    p.systemOk
      ? `${p.host} (host ← ${p.source}) resolves only to IPv6 (${p.addresses.join(', ')}); IPv4-only networks such as many CI runners and Docker's default bridge cannot reach it.`
      : `${p.host} (host ← ${p.source}) has only AAAA records (${p.addresses.join(', ')}) and this machine has no IPv6, so the app's lookup finds nothing.`,
  buildFix: (p) => {
    const {host, source} = p
    const steps = p.supabaseRef
      ? [
          `Supabase's direct host ${host} is IPv6-only. From an IPv4-only network use the Supavisor pooler: copy the Session pooler connection string from the project's Connect dialog (Dashboard → Connect). Its host is aws-<N>-<region>.pooler.supabase.com, and the number and region are your project's own: copy them, never guess them.`,
          `The pooler wants the user postgres.${p.supabaseRef} (not postgres). Port 5432 is session mode (what migrations and prepared statements need); 6543 is transaction mode (serverless, no session state).`,
          `Put it in ${source}.`,
          'Or enable the IPv4 add-on for the project (the direct host then gets an IPv4 address), or give the network the app runs on IPv6.',
        ]
      : [
          `Use an endpoint of ${host} that has an IPv4 (A) record, if the provider offers one (a pooler, a proxy, an IPv4 add-on), and put it in ${source}.`,
          "Or give the network the app runs on IPv6: many CI runners and Docker's default bridge have none (compose: `enable_ipv6: true` on a user-defined network, plus IPv6 routing on the host).",
        ]
    const fix: Fix = {
      summary: p.systemOk
        ? `${host} has only IPv6 addresses: it works here, but not from IPv4-only networks.`
        : `${host} has only IPv6 addresses and this machine resolves only IPv4: switch to an IPv4 endpoint.`,
      steps,
    }
    if (p.supabaseRef && p.poolerSnippet) fix.snippet = p.poolerSnippet
    return fix
  },
})

export const DNS_RESOLVERS_DISAGREE = define<DnsDisagreeParams>({
  code: 'DNS_RESOLVERS_DISAGREE',
  check: 'dns',
  status: 'warn',
  statusText: 'warn (fail when only DNS knows the name)',
  title: 'System lookup and DNS disagree',
  meaning:
    "The app's lookup (`/etc/hosts`, nsswitch) and DNS give different answers: a hosts-file override, split-horizon DNS, a stale cache.",
  causes: [
    'a stale /etc/hosts line',
    'split-horizon DNS (VPN vs public answers)',
    'a stale local cache (nscd, systemd-resolved)',
  ],
  fix: 'Remove the stale hosts line or flush the cache; run db-doctor where the app runs.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Name resolution DNS_RESOLVERS_DISAGREE (12 ms)'}],
  summary: (p) =>
    p.case === 'app-differs'
      ? `${hostRef(p)} resolves to ${p.appAddresses.join(', ')} for the app, but ${p.server} answers ${p.dnsAddresses.join(', ')}${p.hostsFile ? ` (${p.hostsFile.path} overrides DNS)` : ''}.`
      : `The app's lookup of ${hostRef(p)} fails (${p.error}), but ${p.server} answers ${p.dnsAddresses.join(', ')}.`,
  buildFix: (p) =>
    p.case === 'app-differs'
      ? disagreeFix(
          p.host,
          p.source,
          p.hostsFile?.path,
          p.hostsFile
            ? `${p.hostsFile.path} maps it to ${p.hostsFile.addresses.join(', ')}`
            : 'a cache, split-horizon DNS or another resolver on this machine answers differently',
        )
      : disagreeFix(
          p.host,
          p.source,
          undefined,
          `the system resolver does not ask ${p.server} (or gets a different answer from it)`,
        ),
})

export const dnsEntries = [DNS_NOT_FOUND, DNS_TEMPORARY_FAILURE, DNS_TIMEOUT, DNS_IPV6_ONLY, DNS_RESOLVERS_DISAGREE]

/** One answer of a nameserver asked directly, as evidence shows it (the dns check's rows, the docker check's). */
export function directAnswer(r: DirectQueryResult): string {
  if (!r.ok) return r.error === 'timeout' ? 'timeout' : `error: ${dnsEvidenceSays.queryFailure(r.failure)}`
  if (r.rcode !== 'NOERROR') return r.rcode
  return r.answers.length ? r.answers.join(', ') : 'NOERROR (no records)'
}
