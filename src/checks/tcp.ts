// TCP reachability: connect to every address the name resolved to, all at
// once, and predict what node-postgres and psql do with those outcomes (which
// address they end on, after how long), so that "psql works but my Node app
// doesn't" gets a one-sentence answer.
import {isIP} from 'node:net'
import type {ResolvedAddress, TcpAttempt, TcpFacts} from '../core/facts.js'
import type {NodeDefaults, NodeNetSettings} from '../core/happy-eyeballs.js'
import type {Check, CheckContext, CheckOutcome, Fix} from '../core/types.js'
import {stripBrackets} from '../config/util.js'

export const DEFAULT_PORT = 5432

export interface TcpCheckDeps {
  /** Node's defaults the app starts from. Default: the running Node's. */
  nodeDefaults?: NodeDefaults
  /** net.ipv4.tcp_syn_retries. Default: read from /proc, else 6. */
  synRetries?: number
}

export function createTcpCheck(deps: TcpCheckDeps = {}): Check {
  return {
    id: 'tcp',
    title: 'TCP connection',
    requires: ['config', 'dns'],
    provides: ['tcp'],
    uses: ['dns'],
    run: (ctx) => runTcp(ctx, deps),
  }
}

export const tcpCheck: Check = createTcpCheck()

function skip(summary: string, evidence: Record<string, unknown> = {}): CheckOutcome {
  return {status: 'skip', code: null, summary, evidence, fix: null}
}

/** "port ← DB_PORT in .env" */
export function origin(ctx: CheckContext, name: 'host' | 'port' | 'connect_timeout'): string {
  const f = ctx.config.fields[name]
  return f ? `${name} ← ${f.source.label}` : `${name} (not set: default)`
}

export function familyName(f: 4 | 6): string {
  return f === 6 ? 'IPv6' : 'IPv4'
}

async function runningNodeDefaults(): Promise<NodeDefaults> {
  const net = await import('node:net')
  const dns = await import('node:dns')
  const order = (dns as unknown as {getDefaultResultOrder?: () => string}).getDefaultResultOrder?.() ?? 'verbatim'
  return {
    autoSelectFamily: net.getDefaultAutoSelectFamily(),
    attemptTimeoutMs: net.getDefaultAutoSelectFamilyAttemptTimeout(),
    dnsOrder: order === 'ipv4first' || order === 'ipv6first' ? order : 'verbatim',
    label: `Node ${process.version} default`,
  }
}

async function readSynRetries(): Promise<number> {
  try {
    const {readFile} = await import('node:fs/promises')
    const n = Number((await readFile('/proc/sys/net/ipv4/tcp_syn_retries', 'utf8')).trim())
    return Number.isInteger(n) && n > 0 && n < 20 ? n : 6
  } catch {
    return 6
  }
}

async function runTcp(ctx: CheckContext, deps: TcpCheckDeps): Promise<CheckOutcome> {
  const hostField = ctx.config.fields.host
  const host = (hostField?.value ?? 'localhost').trim()
  if (host.startsWith('/')) return skip(`The host ${host} is a Unix socket directory: the connection does not use TCP.`, {host})
  const portText = ctx.config.fields.port?.value?.trim()
  const port = portText ? Number(portText) : DEFAULT_PORT
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return {
      status: 'fail',
      code: 'TCP_PORT_INVALID',
      summary: `The port "${portText}" is not a TCP port number (1–65535).`,
      evidence: {port: portText, from: origin(ctx, 'port')},
      fix: {
        summary: `Set the port to a number, usually 5432 (${origin(ctx, 'port')}).`,
        steps: [`Fix ${origin(ctx, 'port')}: a whole number from 1 to 65535; PostgreSQL listens on 5432 by default, PgBouncer on 6432.`],
      },
    }
  }

  let addresses: ResolvedAddress[]
  let literal = false
  if (ctx.facts.dns) {
    addresses = ctx.facts.dns.addresses
    literal = ctx.facts.dns.literal
  } else {
    const ip = stripBrackets(host)
    const fam = isIP(ip)
    if (!fam) return skip(`The dns check did not run, so ${host} has no addresses to connect to. Run it too (drop --skip dns / add it to --only).`, {host})
    addresses = [{address: ip, family: fam as 4 | 6}]
    literal = true
  }
  if (addresses.length === 0) return skip(`${host} resolved to no address (see the dns check).`, {host})

  const timeoutMs = ctx.options.timeoutMs
  const {probeTcpAll} = await import('../probes/tcp.js')
  const attempts = await probeTcpAll(addresses, port, timeoutMs)
  const reachable = attempts.filter((a) => a.outcome === 'connected').map((a) => ({address: a.address, family: a.family}))
  const facts: TcpFacts = {port, attempts, reachable}
  ctx.facts.tcp = facts

  const he = await import('../core/happy-eyeballs.js')
  const defaults = deps.nodeDefaults ?? (await runningNodeDefaults())
  const settings = he.nodeNetSettings(ctx.env.NODE_OPTIONS, defaults)
  const kernelTimeoutMs = he.kernelSynTimeoutMs(deps.synRetries ?? (await readSynRetries()))
  const ctRaw = ctx.config.fields.connect_timeout?.value
  const connectTimeoutS = ctRaw !== undefined && Number.isFinite(Number(ctRaw)) ? Number(ctRaw) : undefined
  const node = he.predictNode({attempts, settings, literal, kernelTimeoutMs})
  const psql = he.predictLibpq({attempts, connectTimeoutS, kernelTimeoutMs})
  const explanation = he.explainDifference(node, psql, settings)

  const table = attempts.map((a) => ({
    address: a.address,
    family: familyName(a.family),
    outcome: a.outcome,
    ms: a.ms,
    error: a.errorCode ?? (a.outcome === 'timeout' ? `no answer within ${timeoutMs} ms` : null),
  }))
  const evidence: Record<string, unknown> = {host, port, from: [origin(ctx, 'host'), origin(ctx, 'port')], attempts: table}
  const failed = attempts.filter((a) => a.outcome !== 'connected')
  const showPrediction = failed.length > 0 || new Set(attempts.map((a) => a.address)).size > 1
  if (showPrediction) {
    evidence.node = {
      autoSelectFamily: `${settings.autoSelectFamily} (${settings.from.autoSelectFamily})`,
      attemptTimeoutMs: `${settings.attemptTimeoutMs} (${settings.from.attemptTimeoutMs})`,
      dnsResultOrder: `${settings.dnsOrder} (${settings.from.dnsOrder})`,
      result: node.ok ? `connects to ${node.address}` : `fails: ${node.error}`,
      afterMs: node.afterMs,
      story: node.story,
    }
    evidence.psql = {
      connectTimeout: connectTimeoutS ? `${connectTimeoutS} s (${origin(ctx, 'connect_timeout')})` : 'not set',
      result: psql.ok ? `connects to ${psql.address}` : `fails: ${psql.error}`,
      afterMs: psql.afterMs,
      story: psql.story,
    }
    evidence.kernelSynTimeoutMs = kernelTimeoutMs
    if (explanation) evidence.explanation = explanation
  }

  const list = (as: TcpAttempt[]) => as.map((a) => (a.family === 6 ? `[${a.address}]` : a.address)).join(', ')
  const where = `${host}${literal ? '' : ` (${list(attempts)})`} port ${port}`

  if (failed.length === 0) {
    const fastest = Math.min(...attempts.map((a) => a.ms))
    return {
      status: 'pass',
      code: null,
      summary:
        attempts.length === 1
          ? `Connected to ${where} in ${attempts[0].ms} ms.`
          : `Connected to all ${attempts.length} addresses of ${host} on port ${port} (fastest ${fastest} ms).`,
      evidence,
      fix: null,
    }
  }

  const ok = attempts.filter((a) => a.outcome === 'connected')
  const predictionLine = ` ${explanation ?? node.story}`

  if (ok.length > 0) {
    const badFamilies = new Set(failed.map((a) => a.family))
    const okFamilies = new Set(ok.map((a) => a.family))
    const describe = (as: TcpAttempt[]) => as.map((a) => `${a.address} (${outcomeWords(a, timeoutMs)})`).join(', ')
    if (badFamilies.size === 1 && !okFamilies.has([...badFamilies][0])) {
      const bad: 4 | 6 = failed[0].family
      const good: 4 | 6 = bad === 6 ? 4 : 6
      const code = bad === 6 ? 'TCP_IPV6_FAILED' : 'TCP_IPV4_FAILED'
      return {
        status: 'warn',
        code,
        summary: `${familyName(bad)} fails on port ${port}: ${describe(failed)}; ${familyName(good)} ${list(ok)} works.${predictionLine}`,
        evidence,
        fix: familyFix(ctx, host, port, bad, settings),
      }
    }
    return {
      status: 'warn',
      code: 'TCP_SOME_ADDRESSES_FAILED',
      summary: `Some addresses of ${host} fail on port ${port}: ${describe(failed)}; ${list(ok)} works.${predictionLine}`,
      evidence,
      fix: {
        summary: `Remove the dead addresses from the DNS records of ${host}, or open port ${port} on them.`,
        steps: [
          `The name ${host} (${origin(ctx, 'host')}) resolves to addresses that do not accept connections: ${list(failed)}.`,
          'If they are old servers or decommissioned load balancers, delete their A/AAAA records.',
          `If they should work, allow TCP port ${port} to them in the firewall / security group, as for ${list(ok)}.`,
          'Until then, clients that try the dead addresses first wait or fail (see the node and psql predictions).',
        ],
      },
    }
  }

  // Nothing connected: the most explanatory failure wins. A refusal proves the
  // host is there; a timeout means packets are dropped; unreachable: no route.
  const refused = failed.filter((a) => a.outcome === 'refused' || a.outcome === 'reset')
  const silent = failed.filter((a) => a.outcome === 'timeout')
  const others = failed.filter((a) => !refused.includes(a) && !silent.includes(a))
  const details = failed.length > 1 ? ` (${failed.map((a) => `${a.address}: ${outcomeWords(a, timeoutMs)}`).join('; ')})` : ''
  const appSees = showPrediction && node.error ? ` Your Node app sees ${node.error} after ${he.fmtMs(node.afterMs)}.` : ''
  if (refused.length > 0) {
    return {
      status: 'fail',
      code: 'TCP_REFUSED',
      summary: `Nothing accepts connections on ${where}: connection refused${details}.${appSees}`,
      evidence,
      fix: refusedFix(ctx, host, port),
    }
  }
  if (silent.length > 0) {
    return {
      status: 'fail',
      code: 'TCP_TIMEOUT',
      summary: `No answer from ${where} within ${timeoutMs} ms: the packets are silently dropped${details}.${appSees}`,
      evidence,
      fix: timeoutFix(ctx, host, port, silent),
    }
  }
  return {
    status: 'fail',
    code: 'TCP_UNREACHABLE',
    summary: `No network route to ${where}: ${others.map((a) => `${a.address} ${a.errorCode ?? a.outcome}`).join(', ')}.`,
    evidence,
    fix: unreachableFix(ctx, host, port, others),
  }
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

function familyFix(ctx: CheckContext, host: string, port: number, bad: 4 | 6, settings: NodeNetSettings): Fix {
  const good = bad === 6 ? 4 : 6
  const order = bad === 6 ? 'ipv4first' : 'ipv6first'
  const timeoutHint = Math.max(1000, settings.attemptTimeoutMs)
  const orderStep = `Tell Node to put ${familyName(good)} addresses first: set NODE_OPTIONS=--dns-result-order=${order} where the app's environment is defined (service unit, Dockerfile ENV, compose environment, CI variables). A .env file read by dotenv at run time is too late for NODE_OPTIONS.`
  const autoStep = settings.autoSelectFamily
    ? `Keep Happy Eyeballs on (the Node 20+ default; never add --no-network-family-autoselection or net.setDefaultAutoSelectFamily(false)) and, on slow links, give each attempt more time: --network-family-autoselection-attempt-timeout=${timeoutHint} (default 250 ms).`
    : `Turn Happy Eyeballs back on: network-family autoselection is off (${settings.from.autoSelectFamily}), so Node only ever tries the first address. Remove --no-network-family-autoselection (and any net.setDefaultAutoSelectFamily(false) in the code), or on Node 18 add --network-family-autoselection; then Node moves on to ${familyName(good)} after ${settings.attemptTimeoutMs} ms.`
  const steps = settings.autoSelectFamily ? [orderStep, autoStep] : [autoStep, orderStep]
  steps.push(
    `For psql and other libpq clients set connect_timeout (${ctx.config.connectionString ? `add ?connect_timeout=5 to ${ctx.config.connectionString.source.label}` : 'PGCONNECT_TIMEOUT=5'}) so a dead ${familyName(bad)} address costs seconds instead of ~2 minutes; node-postgres ignores connect_timeout (in code it is connectionTimeoutMillis, which cuts the whole connect, it does not move on to the next address).`,
    `Or fix the ${familyName(bad)} path: allow TCP port ${port} over ${familyName(bad)} in the firewall / security group, make the server listen on it (listen_addresses = '*' covers both families), or remove the ${bad === 6 ? 'AAAA' : 'A'} record of ${host} if that address is not meant to serve.`,
    `Do not replace ${host} with the ${familyName(good)} address in the connection string: with sslmode=verify-full (or ssl.rejectUnauthorized) the server certificate is checked against the host you connect to, and an IP address does not match a certificate issued for ${host}; the address can also change on failover.`,
  )
  const flags = [`--dns-result-order=${order}`, ...(settings.autoSelectFamily ? [] : ['--network-family-autoselection']), `--network-family-autoselection-attempt-timeout=${timeoutHint}`]
  return {
    summary: `Make the app try ${familyName(good)} first (NODE_OPTIONS=--dns-result-order=${order}${settings.autoSelectFamily ? '' : ', with network-family autoselection back on'}), or fix ${familyName(bad)} for ${host} port ${port}.`,
    steps,
    snippet: {language: 'bash', code: `NODE_OPTIONS="${flags.join(' ')}"`},
  }
}

function refusedFix(ctx: CheckContext, host: string, port: number): Fix {
  const local = /^(localhost|127\.|::1$|\[::1\])/.test(host)
  return {
    summary: `Connect to the port the server really listens on, and make sure the server is running and listening on this address (${origin(ctx, 'port')}).`,
    steps: [
      `Check the port: ${origin(ctx, 'port')}. PostgreSQL listens on 5432 unless configured otherwise; PgBouncer usually on 6432.`,
      `Check that the server runs: pg_isready -h ${host} -p ${port}; on its machine: systemctl status postgresql, docker ps, or the cloud console.`,
      `If the server is on another machine, it must listen on a non-local address: listen_addresses = '*' in postgresql.conf (the default 'localhost' refuses remote clients), then restart it.`,
      local
        ? 'Inside a Docker container, localhost is the container itself: connect to the database service name (compose) or host.docker.internal instead.'
        : `In Docker, publish the port (-p ${port}:5432) and connect to the published port from the host, or to the service name from other containers.`,
    ],
    snippet: {language: 'ini', code: `# postgresql.conf (the port the app connects to: ${port})\nlisten_addresses = '*'\nport = ${port}`},
  }
}

function timeoutFix(ctx: CheckContext, host: string, port: number, silent: TcpAttempt[]): Fix {
  const addrs = silent.map((a) => a.address).join(', ')
  return {
    summary: `Allow TCP port ${port} from this machine to ${addrs}: a firewall, security group, IP allow-list or missing VPN drops the packets.`,
    steps: [
      `Check that ${host} is the right host (${origin(ctx, 'host')}) and ${port} the right port (${origin(ctx, 'port')}).`,
      `Cloud databases: add this machine's public IP to the allowed networks / security group inbound rules for TCP ${port} (RDS security group, Cloud SQL authorized networks, Azure firewall rules, Supabase/Neon IP allow-lists).`,
      'Private addresses (10.x, 172.16–31.x, 192.168.x) are only reachable inside their network: connect the VPN, use the bastion / SSH tunnel, or run from inside the VPC.',
      `Check local and server firewalls for TCP ${port} (ufw, firewalld, iptables/nftables, corporate proxies that block non-HTTP ports).`,
    ],
    snippet: {language: 'bash', code: `nc -vz -w 5 ${host} ${port}`},
  }
}

function unreachableFix(ctx: CheckContext, host: string, port: number, bad: TcpAttempt[]): Fix {
  const v6 = bad.some((a) => a.family === 6)
  return {
    summary: `This machine has no network route to ${bad.map((a) => a.address).join(', ')}: connect the network that holds the database, or use an address this machine can reach.`,
    steps: [
      `Check the host: ${origin(ctx, 'host')}.`,
      'Private addresses are only reachable inside their network: connect the VPN, or run from inside the VPC / the Docker network.',
      v6
        ? `This machine has no IPv6 route: if ${host} also has an IPv4 address, make sure the A record exists; otherwise enable IPv6 on this network (or use the provider's IPv4 endpoint / pooler).`
        : 'Check the routing table (ip route) and that the interface for that network is up.',
    ],
    snippet: {language: 'bash', code: `ip route get ${bad[0].address}`},
  }
}
