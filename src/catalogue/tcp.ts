// Codes of the `tcp` check, and the check's words: the summaries and fixes of its outcomes, built from
// the params the check emits (src/checks/tcp.ts holds data only).
import type {TcpAttempt} from '../core/facts.js'
import type {Fix, Snippet} from '../core/types.js'
import {fmtMs, type NodeNetSettings, type Prediction} from '../network/happy-eyeballs.js'
import {define, messages} from './types.js'

export function familyName(f: 4 | 6): string {
  return f === 6 ? 'IPv6' : 'IPv4'
}

/** "a, [b]": addresses as the summaries list them. */
function list(as: Pick<TcpAttempt, 'address' | 'family'>[]): string {
  return as.map((a) => (a.family === 6 ? `[${a.address}]` : a.address)).join(', ')
}

function outcomeWords(a: TcpAttempt, timeoutMs: number): string {
  switch (a.outcome) {
    case 'timeout':
      return `no answer within ${timeoutMs} ms`
    case 'refused':
      return 'refused'
    case 'unreachable':
      return `unreachable, ${a.errorCode}`
    case 'reset':
      return `reset, ${a.errorCode}`
    case 'connected':
      return `connected in ${a.ms} ms`
    default:
      return a.errorCode ?? 'error'
  }
}

function describe(as: TcpAttempt[], timeoutMs: number): string {
  return as.map((a) => `${a.address} (${outcomeWords(a, timeoutMs)})`).join(', ')
}

/** What every attempt did and where the name and port come from. */
interface Attempts {
  host: string
  port: number
  /** "host ← DATABASE_URL", "host (not set: default)" */
  hostFrom: string
  portFrom: string
  /** the host is an IP literal (no resolved addresses to list) */
  literal: boolean
  /** every attempt, in the app's order */
  attempts: TcpAttempt[]
  timeoutMs: number
}

/** "host (a, b) port 5432" */
function where(p: Attempts): string {
  return `${p.host}${p.literal ? '' : ` (${list(p.attempts)})`} port ${p.port}`
}

const failedOf = (p: Attempts) => p.attempts.filter((a) => a.outcome !== 'connected')
const okOf = (p: Attempts) => p.attempts.filter((a) => a.outcome === 'connected')
/** When nothing connected and nothing was refused or silent: the unreachable ones. */
const unreachableOf = (p: Attempts) => failedOf(p).filter((a) => !['refused', 'reset', 'timeout'].includes(a.outcome))

/** When nothing connected: each address's outcome, listed when there are several. */
function details(p: Attempts): string {
  const failed = failedOf(p)
  return failed.length > 1 ? ` (${failed.map((a) => `${a.address}: ${outcomeWords(a, p.timeoutMs)}`).join('; ')})` : ''
}

/** What the app (node-postgres) sees, when predicted: its error and after how long. */
interface AppSees {
  /** the predicted Node error, or null when not predicted */
  nodeError: string | null
  /** how long until it, formatted ("2.1 s") */
  nodeAfter: string
}

function appSees(p: AppSees): string {
  return p.nodeError ? ` Your Node app sees ${p.nodeError} after ${p.nodeAfter}.` : ''
}

/** The one sentence of a prediction (src/network/happy-eyeballs.ts): how the client goes through the addresses and how it ends. */
export function predictionStory(p: Prediction): string {
  const path = p.path
  if (path.kind === 'in-order') {
    const wait = !path.wait
      ? ''
      : 'connectTimeoutS' in path.wait
        ? ` (connect_timeout=${path.wait.connectTimeoutS} s per address)`
        : ` (no connect_timeout, so ~${fmtMs(path.wait.kernelMs)} per silent address)`
    return p.ok
      ? `psql tries each address in order${wait} and connects to ${p.address} after ${fmtMs(p.afterMs)}.`
      : `psql tries each address in order${wait} and fails after ${fmtMs(p.afterMs)}: ${p.error}.`
  }
  const how =
    path.kind === 'happy-eyeballs'
      ? `Happy Eyeballs (${path.attemptTimeoutMs} ms per attempt) tries ${path.addresses.join(', ')}`
      : path.kind === 'literal'
        ? `Node connects to the IP address ${path.address ?? undefined}`
        : path.kind === 'only-address'
          ? `Node connects to its only address ${path.address ?? undefined}`
          : `with network-family autoselection off Node tries only the first address, ${path.address ?? undefined}`
  const story = p.ok
    ? `${how} and connects to ${p.address} after ${fmtMs(p.afterMs)}.`
    : `${how} and fails after ${fmtMs(p.afterMs)} with ${p.error}${
        !p.connectionTimeoutSet && p.steps.at(-1)?.result === 'timeout'
          ? ` (sooner, with Error: timeout expired, if the app sets pg's connectionTimeoutMillis)`
          : ''
      }.`
  return story.charAt(0).toUpperCase() + story.slice(1)
}

/**
 * The one sentence that answers "psql works but my Node app doesn't" (or the
 * reverse); null when both behave the same.
 */
export function explainDifference(node: Prediction, libpq: Prediction, settings: NodeNetSettings): string | null {
  if (libpq.ok && !node.ok) {
    const first = node.steps[0]?.address
    const why = !settings.autoSelectFamily
      ? `Node tries only the first address, ${first} (network-family autoselection is off, from ${settings.from.autoSelectFamily}),`
      : node.error === 'Error: timeout expired'
        ? `pg's connectionTimeoutMillis cuts Node's connect before it gets there`
        : `Node's Happy Eyeballs ends on an address that never answers`
    const lastSilent = node.steps.at(-1)?.result === 'timeout' && node.error !== 'Error: timeout expired'
    const tail = lastSilent ? ` (or with Error: timeout expired when the app sets pg's connectionTimeoutMillis)` : ''
    return `psql works but your Node app does not: psql falls through to ${libpq.address} after ${fmtMs(libpq.afterMs)}, while ${why} and fails with ${node.error} after ${fmtMs(node.afterMs)}${tail}.`
  }
  if (node.ok && !libpq.ok) {
    return `Your Node app connects (${node.address} after ${fmtMs(node.afterMs)}) but psql does not: ${predictionStory(libpq)}`
  }
  if (node.ok && libpq.ok && (node.address !== libpq.address || Math.abs(node.afterMs - libpq.afterMs) >= 1000)) {
    const abandoned = node.steps.filter((x) => x.result === 'abandoned').map((x) => x.address)
    const waited = libpq.steps.filter((x) => x.result === 'timeout')
    const nodePart = abandoned.length
      ? ` (Happy Eyeballs gives up on ${abandoned.join(', ')} after ${settings.attemptTimeoutMs} ms)`
      : ''
    const psqlPart = waited.length
      ? ` because it waits ${fmtMs(waited[0].endMs - waited[0].startMs)} on ${waited.map((x) => x.address).join(', ')} first`
      : ''
    return `Your Node app connects to ${node.address} after ${fmtMs(node.afterMs)}${nodePart}; psql connects to ${libpq.address} only after ${fmtMs(libpq.afterMs)}${psqlPart}.`
  }
  return null
}

/** What the app and psql are predicted to do with these attempts (the network model's data). */
interface Predicted {
  node: Prediction
  libpq: Prediction
  settings: NodeNetSettings
}

/** The summary's prediction: the difference between the app and psql when there is one, else the app's story. */
function predictionLine(p: Predicted): string {
  return explainDifference(p.node, p.libpq, p.settings) ?? predictionStory(p.node)
}

/** Pass and skip summaries of the tcp check. */
/** The tcp check's evidence lines that are words. */
export const tcpEvidence = messages({
  /** an attempt's error when it timed out */
  noAnswer: (p: {timeoutMs: number}) => `no answer within ${p.timeoutMs} ms`,
  /** the nearby ports when none answers SSLRequest */
  nothingNearby: () => 'no PostgreSQL answers on the usual ports or the ones next to this one',
})

export const tcpSays = messages({
  /** the check's title in reports */
  title: () => 'TCP connection',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    "which addresses answer on which IP family, and what Node's Happy Eyeballs and libpq will do with them",
  unixSocket: (p: {host: string}) => `The host ${p.host} is a Unix socket directory: the connection does not use TCP.`,
  noDns: (p: {host: string}) =>
    `The dns check did not run, so ${p.host} has no addresses to connect to. Run it too (drop --skip dns / add it to --only).`,
  noAddress: (p: {host: string}) => `${p.host} resolved to no address (see the dns check).`,
  connected: (p: Attempts) =>
    p.attempts.length === 1
      ? `Connected to ${where(p)} in ${p.attempts[0].ms} ms.`
      : `Connected to all ${p.attempts.length} addresses of ${p.host} on port ${p.port} (fastest ${Math.min(...p.attempts.map((a) => a.ms))} ms).`,
})

/** One address family fails, the other works. */
type FamilyParams = Attempts & {
  /** what the app and psql do (the network model) */
  predicted: Predicted
  autoSelectFamily: boolean
  /** where autoSelectFamily comes from ("Node v20.20.0 default", "NODE_OPTIONS") */
  autoSelectFamilyFrom: string
  attemptTimeoutMs: number
  /** the source label of the connection string, when the app uses one */
  connectionStringFrom: string | null
}

function familySummary(p: FamilyParams): string {
  const failed = failedOf(p)
  const bad = failed[0].family
  const good: 4 | 6 = bad === 6 ? 4 : 6
  return `${familyName(bad)} fails on port ${p.port}: ${describe(failed, p.timeoutMs)}; ${familyName(good)} ${list(okOf(p))} works. ${predictionLine(p.predicted)}`
}

function familyFix(p: FamilyParams): Fix {
  const {host, port} = p
  const bad = failedOf(p)[0].family
  const good = bad === 6 ? 4 : 6
  const order = bad === 6 ? 'ipv4first' : 'ipv6first'
  const timeoutHint = Math.max(1000, p.attemptTimeoutMs)
  const orderStep = `Tell Node to put ${familyName(good)} addresses first: set NODE_OPTIONS=--dns-result-order=${order} where the app's environment is defined (service unit, Dockerfile ENV, compose environment, CI variables). A .env file read by dotenv at run time is too late for NODE_OPTIONS.`
  const autoStep = p.autoSelectFamily
    ? `Keep Happy Eyeballs on (the Node 20+ default; never add --no-network-family-autoselection or net.setDefaultAutoSelectFamily(false)) and, on slow links, give each attempt more time: --network-family-autoselection-attempt-timeout=${timeoutHint} (default 250 ms).`
    : `Turn Happy Eyeballs back on: network-family autoselection is off (${p.autoSelectFamilyFrom}), so Node only ever tries the first address. Remove --no-network-family-autoselection (and any net.setDefaultAutoSelectFamily(false) in the code), or on Node 18 add --network-family-autoselection; then Node moves on to ${familyName(good)} after ${p.attemptTimeoutMs} ms.`
  const steps = p.autoSelectFamily ? [orderStep, autoStep] : [autoStep, orderStep]
  steps.push(
    `For psql and other libpq clients set connect_timeout (${p.connectionStringFrom ? `add ?connect_timeout=5 to ${p.connectionStringFrom}` : 'PGCONNECT_TIMEOUT=5'}) so a dead ${familyName(bad)} address costs seconds instead of ~2 minutes; node-postgres ignores connect_timeout (in code it is connectionTimeoutMillis, which cuts the whole connect, it does not move on to the next address).`,
    `Or fix the ${familyName(bad)} path: allow TCP port ${port} over ${familyName(bad)} in the firewall / security group, make the server listen on it (listen_addresses = '*' covers both families), or remove the ${bad === 6 ? 'AAAA' : 'A'} record of ${host} if that address is not meant to serve.`,
    `Do not replace ${host} with the ${familyName(good)} address in the connection string: with sslmode=verify-full (or ssl.rejectUnauthorized) the server certificate is checked against the host you connect to, and an IP address does not match a certificate issued for ${host}; the address can also change on failover.`,
  )
  const flags = [
    `--dns-result-order=${order}`,
    ...(p.autoSelectFamily ? [] : ['--network-family-autoselection']),
    `--network-family-autoselection-attempt-timeout=${timeoutHint}`,
  ]
  return {
    summary: `Make the app try ${familyName(good)} first (NODE_OPTIONS=--dns-result-order=${order}${p.autoSelectFamily ? '' : ', with network-family autoselection back on'}), or fix ${familyName(bad)} for ${host} port ${port}.`,
    steps,
    snippet: {language: 'bash', code: `NODE_OPTIONS="${flags.join(' ')}"`},
  }
}

/** What answers instead: a PostgreSQL-protocol server on another port of the same host (a real SSLRequest probe). */
interface RefusedParams {
  nearby: {port: number; address: string; others: number[]; snippet: Snippet} | null
  /** The first address that refused (the one a listen_addresses entry would name). */
  refusedAddress: string
}

export const TCP_REFUSED = define<Attempts & AppSees & RefusedParams>({
  code: 'TCP_REFUSED',
  check: 'tcp',
  status: 'fail',
  title: 'Connection refused',
  meaning: "Nothing listens on host:port: wrong port, server down, `listen_addresses = 'localhost'`.",
  causes: [
    'the server is not running (or still starting, or restarting)',
    'the wrong port (PgBouncer 6432 vs PostgreSQL 5432, a published compose port)',
    "`listen_addresses = 'localhost'` on a server reached over the network",
    'the container port is not published',
  ],
  fix: 'Fix the port where it is set, start the server, set `listen_addresses`, publish the container port.',
  transient: true,
  matchers: [
    'ECONNREFUSED',
    'Connection refused',
    'actively refused',
    {re: /Is the server running on host "[^"]{0,300}"/i, needle: 'is the server running'},
  ],
  examples: [
    {
      source: 'node',
      text: 'Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)',
    },
    {
      source: 'node-pg-migrate',
      text: "could not connect to postgres: Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16) {\n  errno: -111,\n  code: 'ECONNREFUSED'",
    },
    // Node ≥ 20 with several addresses (autoSelectFamily, lib/net.js internalConnectMultiple): an AggregateError
    // with an empty message (https://github.com/brianc/node-postgres/issues/3312); produced live in families.test.ts
    {
      source: 'node',
      text: 'AggregateError [ECONNREFUSED]: \n    at internalConnectMultiple (node:net:1122:18)\n    at afterConnectMultiple (node:net:1689:7)',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?',
    },
    {
      source: 'libpq',
      text: 'psql: could not connect to server: Connection refused\n\tIs the server running on host "localhost" (127.0.0.1) and accepting\n\tTCP/IP connections on port 5432?',
    },
  ],
  summary: (p) =>
    `Nothing accepts connections on ${where(p)}: connection refused${details(p)}.${
      p.nearby
        ? ` A PostgreSQL server answers on port ${p.nearby.port} of the same host${p.nearby.others.length ? ` (and on ${p.nearby.others.join(', ')})` : ''}.`
        : ''
    }${appSees(p)}`,
  buildFix: (p) => {
    const {host, port} = p
    const local = /^(localhost|127\.|::1$|\[::1\])/.test(host)
    const docker = local
      ? 'Inside a Docker container, localhost is the container itself: connect to the database service name (compose) or host.docker.internal instead.'
      : `In Docker, publish the port (-p ${port}:5432) and connect to the published port from the host, or to the service name from other containers.`
    if (p.nearby) {
      return {
        summary: `A PostgreSQL server answers on ${host} port ${p.nearby.port}, not on ${port}: connect to port ${p.nearby.port} (${p.portFrom}).`,
        steps: [
          `Set the port to ${p.nearby.port} where it is set: ${p.portFrom}.`,
          `Port ${p.nearby.port} answered PostgreSQL's SSLRequest (it may be PgBouncer: PgBouncer usually listens on 6432, PostgreSQL on 5432). If it is not the server you mean, start that one on ${port}: pg_isready -h ${host} -p ${port}.`,
          docker,
        ],
        snippet: p.nearby.snippet,
      }
    }
    const address = p.refusedAddress
    return {
      summary: `Nothing answers PostgreSQL on ${host} port ${port} or the ports near it: start the server, or set the port it really listens on (${p.portFrom}).`,
      steps: [
        `Check that the server runs: pg_isready -h ${host} -p ${port}; on its machine: systemctl status postgresql, docker ps (is the container up, and its port published?), or the cloud console.`,
        `Check the port: ${p.portFrom}. PostgreSQL listens on 5432 unless configured otherwise (SHOW port; on the server); PgBouncer usually on 6432.`,
        local
          ? docker
          : `If the server runs on ${host} but only listens on localhost (the default), add the address the app connects to, not '*': listen_addresses = 'localhost,${address}' in postgresql.conf, a hostssl line for the app's network in pg_hba.conf, then restart it. '*' would open it on every interface.`,
        ...(local ? [] : [docker]),
      ],
      snippet: local
        ? {language: 'bash', code: `pg_isready -h ${host} -p ${port}`}
        : {
            language: 'ini',
            code: `# postgresql.conf on ${host}: listen on the address the app connects to, besides localhost\nlisten_addresses = 'localhost,${address}'`,
          },
    }
  },
})

export const TCP_TIMEOUT = define<Attempts & AppSees>({
  code: 'TCP_TIMEOUT',
  check: 'tcp',
  status: 'fail',
  title: 'Connection timed out',
  meaning:
    'Every address stayed silent (packets dropped): firewall, security group, IP allow-list, VPN. The report names the addresses and port.',
  causes: [
    "a firewall or cloud security group / IP allow-list that does not admit this machine's address",
    'a private address reached from outside its network (VPC, VPN not connected)',
    'a server overloaded or paused (serverless databases waking up)',
  ],
  fix: 'Allow TCP to the port from here, or connect the VPN.',
  transient: true,
  matchers: [
    'ETIMEDOUT',
    'Connection timed out',
    'Operation timed out',
    // "timeout expired" (node-postgres' connectionTimeoutMillis, pg/lib/client.js; libpq's connect_timeout) is the
    // pg-connection-timeout explain hint: it does not say whether TCP, TLS or the server's answer hung.
  ],
  examples: [
    // Node's connect error (lib/net.js afterConnect), as in https://github.com/brianc/node-postgres/issues/2600
    {
      source: 'node',
      text: 'Error: connect ETIMEDOUT 10.0.3.25:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)',
    },
    // Cloud SQL Auth Proxy v1 log when the instance's 3307 is unreachable (https://github.com/GoogleCloudPlatform/cloud-sql-proxy/issues/395)
    {
      source: 'google-cloud-sql',
      text: '2020/05/14 14:56:06 couldn\'t connect to "my-project:us-west4:staging": dial tcp 172.20.0.3:3307: connect: operation timed out',
    },
    {
      source: 'libpq',
      text: 'psql: error: connection to server at "10.0.3.25", port 5432 failed: Connection timed out\n\tIs the server running on that host and accepting TCP/IP connections?',
    },
  ],
  summary: (p) =>
    `No answer from ${where(p)} within ${p.timeoutMs} ms: the packets are silently dropped${details(p)}.${appSees(p)}`,
  buildFix: (p) => {
    const {host, port} = p
    const addrs = failedOf(p)
      .filter((a) => a.outcome === 'timeout')
      .map((a) => a.address)
      .join(', ')
    return {
      summary: `Allow TCP port ${port} from this machine to ${addrs}: a firewall, security group, IP allow-list or missing VPN drops the packets.`,
      steps: [
        `Check that ${host} is the right host (${p.hostFrom}) and ${port} the right port (${p.portFrom}).`,
        `Cloud databases: add this machine's public IP to the allowed networks / security group inbound rules for TCP ${port} (RDS security group, Cloud SQL authorized networks, Azure firewall rules, Supabase/Neon IP allow-lists).`,
        'Private addresses (10.x, 172.16–31.x, 192.168.x) are only reachable inside their network: connect the VPN, use the bastion / SSH tunnel, or run from inside the VPC.',
        `Check local and server firewalls for TCP ${port} (ufw, firewalld, iptables/nftables, corporate proxies that block non-HTTP ports).`,
      ],
      snippet: {language: 'bash', code: `nc -vz -w 5 ${host} ${port}`},
    }
  },
})

export const TCP_UNREACHABLE = define<Attempts>({
  code: 'TCP_UNREACHABLE',
  check: 'tcp',
  status: 'fail',
  title: 'No route to the address',
  meaning: 'No route to the address (`ENETUNREACH`, `EHOSTUNREACH`).',
  causes: [
    'an address family this machine has no route for (IPv6 on an IPv4-only runner)',
    'a private network this machine is not part of',
    'a host that is down (EHOSTUNREACH from the local network)',
  ],
  fix: 'Join the network, or use an address family this machine can reach.',
  transient: false,
  matchers: ['ENETUNREACH', 'EHOSTUNREACH', 'Network is unreachable', 'No route to host'],
  examples: [
    {
      source: 'node',
      text: 'Error: connect EHOSTUNREACH 192.168.1.20:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
    },
    {source: 'libpq', text: 'psql: error: connection to server at "192.168.1.20", port 5432 failed: No route to host'},
  ],
  summary: (p) =>
    `No network route to ${where(p)}: ${unreachableOf(p)
      .map((a) => `${a.address} ${a.errorCode ?? a.outcome}`)
      .join(', ')}.`,
  buildFix: (p) => {
    const bad = unreachableOf(p)
    const v6 = bad.some((a) => a.family === 6)
    return {
      summary: `This machine has no network route to ${bad.map((a) => a.address).join(', ')}: connect the network that holds the database, or use an address this machine can reach.`,
      steps: [
        `Check the host: ${p.hostFrom}.`,
        'Private addresses are only reachable inside their network: connect the VPN, or run from inside the VPC / the Docker network.',
        v6
          ? `This machine has no IPv6 route: if ${p.host} also has an IPv4 address, make sure the A record exists; otherwise enable IPv6 on this network (or use the provider's IPv4 endpoint / pooler).`
          : 'Check the routing table (ip route) and that the interface for that network is up.',
      ],
      snippet: {language: 'bash', code: `ip route get ${bad[0].address}`},
    }
  },
})

export const TCP_IPV6_FAILED = define<FamilyParams>({
  code: 'TCP_IPV6_FAILED',
  check: 'tcp',
  status: 'warn',
  title: 'IPv6 fails, IPv4 works',
  meaning:
    "IPv6 fails and IPv4 works — the `AggregateError [ETIMEDOUT] at internalConnectMultiple` story. The summary says in one sentence what Node's Happy Eyeballs and what psql will do.",
  causes: [
    'the host has A and AAAA records and the IPv6 path is dead (no IPv6 route, firewall drops it)',
    "Node's Happy Eyeballs gives each address 250 ms: a slow IPv4 answer after a dead IPv6 attempt times out",
  ],
  fix: '`NODE_OPTIONS=--dns-result-order=ipv4first` and/or `--network-family-autoselection-attempt-timeout=N`, or fix IPv6 / the AAAA record. Do not hard-code the IPv4 address: TLS hostname verification then fails.',
  transient: false,
  matchers: ['AggregateError [ETIMEDOUT]', 'internalConnectMultipleTimeout'],
  examples: [
    // Node ≥ 20's Happy Eyeballs giving up on every address (lib/net.js internalConnectMultipleTimeout), as in
    // https://github.com/zenstackhq/zenstack/issues/1046 and https://github.com/vercel/next-learn/issues/612
    {
      source: 'node',
      text: 'AggregateError [ETIMEDOUT]: \n    at internalConnectMultiple (node:net:1122:18)\n    at internalConnectMultiple (node:net:1190:5)\n    at Timeout.internalConnectMultipleTimeout (node:net:1716:5)',
    },
  ],
  summary: familySummary,
  buildFix: familyFix,
})

export const TCP_IPV4_FAILED = define<FamilyParams>({
  code: 'TCP_IPV4_FAILED',
  check: 'tcp',
  status: 'warn',
  title: 'IPv4 fails, IPv6 works',
  meaning: 'The mirror case: IPv4 fails, IPv6 works.',
  causes: ['a stale or firewalled A record next to a working AAAA record'],
  fix: '`--dns-result-order=ipv6first`, or fix IPv4 / the A record.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! TCP connection TCP_IPV4_FAILED (2004 ms)'}],
  summary: familySummary,
  buildFix: familyFix,
})

export const TCP_SOME_ADDRESSES_FAILED = define<Attempts & {predicted: Predicted}>({
  code: 'TCP_SOME_ADDRESSES_FAILED',
  check: 'tcp',
  status: 'warn',
  title: 'Some addresses fail',
  meaning: 'Some addresses of the name are dead, in a way a family swap does not explain.',
  causes: ['stale DNS records after a failover or migration', 'a load-balancer node without the port open'],
  fix: 'Remove the stale DNS records, or open the port on them.',
  transient: false,
  matchers: [],
  examples: [{source: 'db-doctor', text: '! TCP connection TCP_SOME_ADDRESSES_FAILED (2010 ms)'}],
  summary: (p) =>
    `Some addresses of ${p.host} fail on port ${p.port}: ${describe(failedOf(p), p.timeoutMs)}; ${list(okOf(p))} works. ${predictionLine(p.predicted)}`,
  buildFix: (p) => {
    const {host, port} = p
    return {
      summary: `Remove the dead addresses from the DNS records of ${host}, or open port ${port} on them.`,
      steps: [
        `The name ${host} (${p.hostFrom}) resolves to addresses that do not accept connections: ${list(failedOf(p))}.`,
        'If they are old servers or decommissioned load balancers, delete their A/AAAA records.',
        `If they should work, allow TCP port ${port} to them in the firewall / security group, as for ${list(okOf(p))}.`,
        'Until then, clients that try the dead addresses first wait or fail (see the node and psql predictions).',
      ],
    }
  },
})

export const TCP_PORT_INVALID = define<{portText: string | undefined; portFrom: string}>({
  code: 'TCP_PORT_INVALID',
  check: 'tcp',
  status: 'fail',
  title: 'Port out of range',
  meaning: 'The port is not 1–65535 (normally caught by `config` first).',
  causes: ['a port variable with a typo or an extra digit'],
  fix: 'Fix the port in the variable named.',
  transient: false,
  matchers: ['ERR_SOCKET_BAD_PORT', {re: /Port should be >= 0 and < 65536/i, needle: 'port should be'}],
  examples: [
    {
      source: 'node',
      text: 'RangeError [ERR_SOCKET_BAD_PORT]: Port should be >= 0 and < 65536. Received type number (654321).',
    },
  ],
  summary: (p) => `The port "${p.portText}" is not a TCP port number (1–65535).`,
  buildFix: (p) => ({
    summary: `Set the port to a number, usually 5432 (${p.portFrom}).`,
    steps: [
      `Fix ${p.portFrom}: a whole number from 1 to 65535; PostgreSQL listens on 5432 by default, PgBouncer on 6432.`,
    ],
  }),
})

interface SocketMissing {
  dir: string
  port: number
  socket: string
  hostFrom: string
  portFrom: string
}

export const TCP_SOCKET_NOT_FOUND = define<SocketMissing>({
  code: 'TCP_SOCKET_NOT_FOUND',
  check: 'tcp',
  status: 'fail',
  title: 'No PostgreSQL Unix socket at that path',
  meaning:
    'The host is a directory (a Unix socket), and no socket `.s.PGSQL.<port>` exists there: on Cloud Run / App Engine the Cloud SQL connection is not attached (or the instance connection name is wrong), elsewhere the server or the Cloud SQL Auth Proxy is not running with that socket directory, or the port differs.',
  causes: [
    'Cloud Run: the Cloud SQL instance is not added to the service (`--add-cloudsql-instances`), or `/cloudsql/<project>:<region>:<instance>` is misspelt',
    'the Cloud SQL Auth Proxy is not running, or listens on TCP instead of `--unix-socket /cloudsql`',
    'a local server with another socket directory or port, or not running (yet)',
  ],
  fix: 'Attach the instance to the service (Cloud Run `--add-cloudsql-instances PROJECT:REGION:INSTANCE`) and use exactly `/cloudsql/PROJECT:REGION:INSTANCE` as the host; elsewhere start the proxy with `--unix-socket /cloudsql`, or connect over TCP.',
  // a proxy sidecar or a server that is still starting creates the socket later: `wait` retries
  transient: true,
  matchers: [
    {re: /connect ENOENT [^\s'"]{0,400}\.s\.PGSQL\.\d{1,5}/i, needle: 'connect enoent'},
    {re: /connect ENOENT \/cloudsql\//i, needle: 'connect enoent'},
    {re: /dial unix [^\s'"]{0,400}\.s\.PGSQL\.\d{1,5}: connect: no such file or directory/i, needle: 'dial unix'},
    // libpq (fe-connect.c): 'connection to server on socket "…" failed: No such file or directory'
    {
      re: /connection to server on socket "[^"\n]{0,400}\.s\.PGSQL\.\d{1,5}" failed: No such file or directory/i,
      needle: 'failed: no such file or directory',
    },
  ],
  examples: [
    // pg to a missing socket; produced live in test/explain/live.test.ts (and by the tcp check, test/checks/tcp-socket.test.ts)
    {
      source: 'node-postgres',
      text: "Error: connect ENOENT /cloudsql/my-project:europe-west1:db/.s.PGSQL.5432\n    at PipeConnectWrap.afterConnect [as oncomplete] (node:net:1611:16) {\n  errno: -2,\n  code: 'ENOENT',\n  syscall: 'connect',\n  address: '/cloudsql/my-project:europe-west1:db/.s.PGSQL.5432'\n}",
    },
    // https://github.com/GoogleCloudPlatform/golang-samples/issues/375
    {
      source: 'google-cloud-sql',
      text: 'dial unix /cloudsql/INSTANCE_CONNECTION_NAME/.s.PGSQL.5432: connect: no such file or directory',
    },
  ],
  summary: (p) =>
    `No PostgreSQL socket ${p.socket}: nothing listens in ${p.dir} for port ${p.port} (the host is a Unix socket directory, ${p.hostFrom}).`,
  buildFix: (p) =>
    p.dir.startsWith('/cloudsql')
      ? {
          summary: `Attach the Cloud SQL instance so that ${p.socket} exists, or fix the instance connection name in the host.`,
          steps: [
            'Cloud Run: add the instance to the service (`gcloud run services update SERVICE --add-cloudsql-instances PROJECT:REGION:INSTANCE`); the host must be exactly /cloudsql/PROJECT:REGION:INSTANCE.',
            'GKE or a VM: run the Cloud SQL Auth Proxy with `--unix-socket /cloudsql` (a sidecar that starts before the app; `db-doctor wait` waits for the socket), or connect to the proxy over TCP instead.',
          ],
        }
      : {
          summary: `Start PostgreSQL, or point the host at the directory that holds its socket (${p.hostFrom}) and the port at the one it listens on (${p.portFrom}).`,
          steps: [
            "Where does the server put its socket? `SHOW unix_socket_directories;` on the server (Debian and Ubuntu: /var/run/postgresql; PostgreSQL's default build and Homebrew: /tmp); the socket's name carries the port (.s.PGSQL.5432).",
            'In a container, the socket directory is only shared with a volume mounted at the same path in both containers; otherwise connect over TCP.',
          ],
        },
})

export const tcpEntries = [
  TCP_REFUSED,
  TCP_TIMEOUT,
  TCP_UNREACHABLE,
  TCP_IPV6_FAILED,
  TCP_IPV4_FAILED,
  TCP_SOME_ADDRESSES_FAILED,
  TCP_PORT_INVALID,
  TCP_SOCKET_NOT_FOUND,
]
