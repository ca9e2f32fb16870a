// TCP reachability: connect to every address the name resolved to, all at
// once, and predict what node-postgres and psql do with those outcomes (which
// address they end on, after how long), so that "psql works but my Node app
// doesn't" gets a one-sentence answer.
// Data only: the words of every outcome are in src/catalogue/tcp.ts.
import {DEFAULT_PORT, isUnixSocketHost} from '../config/connection-string.js'
import {isIP} from 'node:net'
import {
  TCP_IPV4_FAILED,
  TCP_IPV6_FAILED,
  TCP_PORT_INVALID,
  TCP_REFUSED,
  TCP_SOCKET_NOT_FOUND,
  TCP_SOME_ADDRESSES_FAILED,
  TCP_TIMEOUT,
  TCP_UNREACHABLE,
  explainDifference,
  familyName,
  predictionStory,
  tcpEvidence,
  tcpSays,
  tcpEntries,
} from '../catalogue/tcp.js'
import type {ResolvedAddress, TcpFacts} from '../core/facts.js'
import type {NodeDefaults} from '../network/happy-eyeballs.js'
import type {CheckOutcome, Evidence} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {stripBrackets} from '../config/util.js'
import {fieldWithSource} from '../config/provenance.js'
import {settingsSnippet} from '../catalogue/snippets.js'

declare module '../core/facts.js' {
  interface Facts {
    tcp?: TcpFacts
  }
}

interface TcpCheckDeps {
  /** Node's defaults the app starts from. Default: the running Node's. */
  nodeDefaults?: NodeDefaults
  /** net.ipv4.tcp_syn_retries. Default: read from /proc, else 6. */
  synRetries?: number
}

export function createTcpCheck(deps: TcpCheckDeps = {}): RegisteredCheck<'tcp'> {
  return {
    id: 'tcp',
    title: tcpSays.title(),
    establishes: tcpSays.establishes(),
    codes: [tcpEntries],
    requires: ['config', 'dns'],
    provides: ['tcp'],
    uses: ['dns'],
    run: (ctx) => runTcp(ctx, deps),
  }
}

export const tcpCheck: RegisteredCheck<'tcp'> = createTcpCheck()

function skip(summary: string, evidence: Record<string, unknown> = {}): CheckOutcome {
  return {status: 'skip', code: null, summary, evidence, fix: null}
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

/**
 * A Unix socket directory: the transport is the socket file `.s.PGSQL.<port>` in it (libpq and
 * node-postgres build that name). No such file is TCP_SOCKET_NOT_FOUND (the server, or the Cloud SQL Auth
 * Proxy, is not running with that directory and port); anything else the login reports.
 */
async function runUnixSocket(ctx: CheckContext, dir: string, port: number): Promise<CheckOutcome> {
  const {probeUnixSocket} = await import('../probes/tcp.js')
  const socket = `${dir.replace(/\/+$/, '')}/.s.PGSQL.${port}`
  const attempt = await probeUnixSocket(socket, ctx.options.timeoutMs)
  const evidence: Evidence = {host: dir, socket, outcome: attempt.outcome, ms: attempt.ms}
  if (attempt.errorCode) evidence.errorCode = attempt.errorCode
  if (attempt.outcome === 'missing')
    return TCP_SOCKET_NOT_FOUND.emit(
      {dir, port, socket, hostFrom: fieldWithSource(ctx.config, 'host'), portFrom: fieldWithSource(ctx.config, 'port')},
      evidence,
    )
  return skip(tcpSays.unixSocket({host: dir}), evidence)
}

async function runTcp(ctx: CheckContext, deps: TcpCheckDeps): Promise<CheckOutcome> {
  const hostField = ctx.config.fields.host
  const host = (hostField?.value ?? 'localhost').trim()
  const portText = ctx.config.fields.port?.value?.trim()
  const port = portText ? Number(portText) : DEFAULT_PORT
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    if (isUnixSocketHost(host)) return skip(tcpSays.unixSocket({host}), {host})
    return TCP_PORT_INVALID.emit(
      {portText, portFrom: fieldWithSource(ctx.config, 'port')},
      {port: portText, from: fieldWithSource(ctx.config, 'port')},
    )
  }
  if (isUnixSocketHost(host)) return runUnixSocket(ctx, host, port)

  const target = targetAddresses(ctx, host)
  if ('status' in target) return target
  const {addresses, literal} = target

  const timeoutMs = ctx.options.timeoutMs
  const {probeTcpAll} = await import('../probes/tcp.js')
  const attempts = await probeTcpAll(addresses, port, timeoutMs)
  const reachable = attempts
    .filter((a) => a.outcome === 'connected')
    .map((a) => ({address: a.address, family: a.family}))
  const facts: TcpFacts = {port, attempts, reachable}
  ctx.facts.tcp = facts
  const predicted = await predictClients(ctx, deps, attempts, literal)
  facts.clients = {
    nodePostgres: predicted.node.ok ? predicted.node.address : null,
    libpq: predicted.libpq.ok ? predicted.libpq.address : null,
  }

  const evidence = attemptsEvidence(ctx, {host, port, timeoutMs, attempts, predicted})
  const params = {
    host,
    port,
    hostFrom: fieldWithSource(ctx.config, 'host'),
    portFrom: fieldWithSource(ctx.config, 'port'),
    literal,
    attempts,
    timeoutMs,
  }
  const failed = attempts.filter((a) => a.outcome !== 'connected')
  if (failed.length === 0) return {status: 'pass', code: null, summary: tcpSays.connected(params), evidence, fix: null}
  const ok = attempts.filter((a) => a.outcome === 'connected')
  if (ok.length > 0) return someFailed(ctx, params, failed, ok, predicted, evidence)
  return noneConnected(ctx, params, failed, predicted, evidence, facts)
}

/** The addresses to connect to: the dns check's, or the host itself when it is an IP address (else a skip). */
function targetAddresses(
  ctx: CheckContext,
  host: string,
): {addresses: ResolvedAddress[]; literal: boolean} | CheckOutcome {
  let addresses: ResolvedAddress[]
  let literal: boolean
  if (ctx.facts.dns) {
    addresses = ctx.facts.dns.addresses
    literal = ctx.facts.dns.literal
  } else {
    const ip = stripBrackets(host)
    const fam = isIP(ip)
    if (!fam) return skip(tcpSays.noDns({host}), {host})
    addresses = [{address: ip, family: fam as 4 | 6}]
    literal = true
  }
  if (addresses.length === 0) return skip(tcpSays.noAddress({host}), {host})
  return {addresses, literal}
}

type Attempts = TcpFacts['attempts']
type Predictions = Awaited<ReturnType<typeof predictClients>>
type TcpParams = {
  host: string
  port: number
  hostFrom: string
  portFrom: string
  literal: boolean
  attempts: Attempts
  timeoutMs: number
}

/** What node-postgres and psql do with these attempts: the address each ends on, after how long, and why. */
async function predictClients(ctx: CheckContext, deps: TcpCheckDeps, attempts: Attempts, literal: boolean) {
  const he = await import('../network/happy-eyeballs.js')
  const defaults = deps.nodeDefaults ?? (await runningNodeDefaults())
  const settings = he.nodeNetSettings(ctx.env.NODE_OPTIONS, defaults)
  const kernelTimeoutMs = he.kernelSynTimeoutMs(deps.synRetries ?? (await readSynRetries()))
  const ctRaw = ctx.config.fields.connect_timeout?.value
  const connectTimeoutS = ctRaw !== undefined && Number.isFinite(Number(ctRaw)) ? Number(ctRaw) : undefined
  const node = he.predictNode({attempts, settings, literal, kernelTimeoutMs})
  const libpq = he.predictLibpq({attempts, connectTimeoutS, kernelTimeoutMs})
  return {node, libpq, settings, kernelTimeoutMs, connectTimeoutS, fmtMs: he.fmtMs}
}

/** The predictions are shown when they can differ: an address failed, or there is more than one. */
function showsPrediction(attempts: Attempts): boolean {
  return attempts.some((a) => a.outcome !== 'connected') || new Set(attempts.map((a) => a.address)).size > 1
}

/** The attempts as a table, and the clients' predictions when they can differ. */
function attemptsEvidence(
  ctx: CheckContext,
  m: {host: string; port: number; timeoutMs: number; attempts: Attempts; predicted: Predictions},
): Evidence {
  const {host, port, timeoutMs, attempts} = m
  const {node, libpq: psql, settings, kernelTimeoutMs, connectTimeoutS} = m.predicted
  const table = attempts.map((a) => ({
    address: a.address,
    family: familyName(a.family),
    outcome: a.outcome,
    ms: a.ms,
    error: a.errorCode ?? (a.outcome === 'timeout' ? tcpEvidence.noAnswer({timeoutMs}) : null),
  }))
  const evidence: Evidence = {
    host,
    port,
    from: [fieldWithSource(ctx.config, 'host'), fieldWithSource(ctx.config, 'port')],
    attempts: table,
  }
  if (showsPrediction(attempts)) {
    const explanation = explainDifference(node, psql, settings)
    evidence.node = {
      autoSelectFamily: `${settings.autoSelectFamily} (${settings.from.autoSelectFamily})`,
      attemptTimeoutMs: `${settings.attemptTimeoutMs} (${settings.from.attemptTimeoutMs})`,
      dnsResultOrder: `${settings.dnsOrder} (${settings.from.dnsOrder})`,
      result: node.ok ? `connects to ${node.address}` : `fails: ${node.error}`,
      afterMs: node.afterMs,
      story: predictionStory(node),
    }
    evidence.psql = {
      connectTimeout: connectTimeoutS
        ? `${connectTimeoutS} s (${fieldWithSource(ctx.config, 'connect_timeout')})`
        : 'not set',
      result: psql.ok ? `connects to ${psql.address}` : `fails: ${psql.error}`,
      afterMs: psql.afterMs,
      story: predictionStory(psql),
    }
    evidence.kernelSynTimeoutMs = kernelTimeoutMs
    if (explanation) evidence.explanation = explanation
  }
  return evidence
}

/** Some addresses connected, some did not: one family failing, or some addresses. */
function someFailed(
  ctx: CheckContext,
  params: TcpParams,
  failed: Attempts,
  ok: Attempts,
  p: Predictions,
  evidence: Evidence,
): CheckOutcome {
  const predicted = {node: p.node, libpq: p.libpq, settings: p.settings}
  const badFamilies = new Set(failed.map((a) => a.family))
  const okFamilies = new Set(ok.map((a) => a.family))
  if (badFamilies.size === 1 && !okFamilies.has([...badFamilies][0]!)) {
    const family = {
      ...params,
      predicted,
      autoSelectFamily: p.settings.autoSelectFamily,
      autoSelectFamilyFrom: p.settings.from.autoSelectFamily,
      attemptTimeoutMs: p.settings.attemptTimeoutMs,
      connectionStringFrom: ctx.config.connectionString?.source.label ?? null,
    }
    return failed[0]!.family === 6 ? TCP_IPV6_FAILED.emit(family, evidence) : TCP_IPV4_FAILED.emit(family, evidence)
  }
  return TCP_SOME_ADDRESSES_FAILED.emit({...params, predicted}, evidence)
}

/**
 * Nothing connected: the most explanatory failure wins. A refusal proves the host is there (and what answers
 * on a nearby port is looked for); a timeout means packets are dropped; unreachable: no route.
 */
async function noneConnected(
  ctx: CheckContext,
  params: TcpParams,
  failed: Attempts,
  p: Predictions,
  evidence: Evidence,
  facts: TcpFacts,
): Promise<CheckOutcome> {
  const {port, timeoutMs} = params
  const node = p.node
  const app = {
    nodeError: showsPrediction(params.attempts) && node.error ? node.error : null,
    nodeAfter: p.fmtMs(node.afterMs),
  }
  const refused = failed.filter((a) => a.outcome === 'refused' || a.outcome === 'reset')
  if (refused.length > 0) {
    // What does answer on this host? A PostgreSQL (or PgBouncer) on a nearby port is the first thing to look at.
    const {findPostgresNearby} = await import('../probes/ssl-request.js')
    const nearby = await findPostgresNearby(refused, port, timeoutMs)
    facts.nearby = nearby
    evidence.nearbyPorts = nearby.length
      ? nearby.map((n) => ({address: n.address, port: n.port, answer: `SSLRequest answered '${n.answer}'`}))
      : tcpEvidence.nothingNearby()
    const best = nearby[0]
    return TCP_REFUSED.emit(
      {
        ...params,
        ...app,
        nearby: best
          ? {
              port: best.port,
              address: best.address,
              others: nearby.slice(1).map((n) => n.port),
              snippet: settingsSnippet(ctx.config, {port: String(best.port)}),
            }
          : null,
        refusedAddress: refused[0]!.address,
      },
      evidence,
    )
  }
  if (failed.some((a) => a.outcome === 'timeout')) return TCP_TIMEOUT.emit({...params, ...app}, evidence)
  return TCP_UNREACHABLE.emit(params, evidence)
}
