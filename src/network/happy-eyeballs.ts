// What a client will do with a list of addresses and what each address does
// on a connect: pure logic, no sockets. Two clients matter:
//
// node-postgres: `net.Socket#connect(port, host)` with Node's defaults. In Node
// 20+ autoSelectFamily is on (Happy Eyeballs, lib/net.js internalConnectMultiple):
// dns.lookup(all) → addresses ordered by --dns-result-order → de-duplicated and
// interleaved by family starting with the family of the first one → tried one
// at a time; an attempt that is not the last one is abandoned after the attempt
// timeout (250 ms by default) and an error moves on at once; the last attempt
// has no timer and waits for the kernel. When every attempt fails the socket
// errors with an AggregateError whose code is the first attempt's code. With
// autoselection off (Node 18, --no-network-family-autoselection) Node connects
// only to the first address and never tries another. pg's own
// connectionTimeoutMillis (in code; `connect_timeout` in a URL does NOT apply
// to node-postgres) destroys the socket with `Error: timeout expired`.
//
// libpq / psql: every address in getaddrinfo order, one after the other;
// connect_timeout (seconds, minimum 2) applies to each address separately;
// without it a silent address costs the kernel's SYN retry time (~127 s).
import type {IpFamily, ResolvedAddress, TcpOutcome} from '../core/facts.js'
import {verbatim} from '../core/verbatim.js'

type DnsOrder = 'verbatim' | 'ipv4first' | 'ipv6first'

export interface ObservedAttempt {
  address: string
  family: IpFamily
  outcome: TcpOutcome
  /** How long the probe took to get this outcome (for 'timeout': the probe budget). */
  ms: number
  /** ECONNREFUSED, ENETUNREACH… when known. */
  errorCode?: string
}

export interface NodeNetSettings {
  autoSelectFamily: boolean
  attemptTimeoutMs: number
  dnsOrder: DnsOrder
  /** Where each setting came from: "Node 20 default", "NODE_OPTIONS". */
  from: {autoSelectFamily: string; attemptTimeoutMs: string; dnsOrder: string}
}

export interface NodeDefaults {
  autoSelectFamily: boolean
  attemptTimeoutMs: number
  dnsOrder: DnsOrder
  /** How to name the defaults: "Node v20.20.2 default". */
  label: string
}

/** Split NODE_OPTIONS the way Node does (spaces, with "double quotes" and backslash escapes). */
export function splitNodeOptions(text: string | undefined): string[] {
  if (!text) return []
  const out: string[] = []
  let cur = ''
  let inQuotes = false
  let has = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\' && inQuotes && i + 1 < text.length) {
      cur += text[++i]
      continue
    }
    if (c === '"') {
      inQuotes = !inQuotes
      has = true
      continue
    }
    if (/\s/.test(c) && !inQuotes) {
      if (has) out.push(cur)
      cur = ''
      has = false
      continue
    }
    cur += c
    has = true
  }
  if (has) out.push(cur)
  return out
}

/** The network settings a Node app started with this NODE_OPTIONS gets (last flag wins, as in Node). */
export function nodeNetSettings(nodeOptions: string | undefined, defaults: NodeDefaults): NodeNetSettings {
  const s: NodeNetSettings = {
    autoSelectFamily: defaults.autoSelectFamily,
    attemptTimeoutMs: defaults.attemptTimeoutMs,
    dnsOrder: defaults.dnsOrder,
    from: {autoSelectFamily: defaults.label, attemptTimeoutMs: defaults.label, dnsOrder: defaults.label},
  }
  const args = splitNodeOptions(nodeOptions)
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const eq = arg.indexOf('=')
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/_/g, '-')
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined
    const value = () => inline ?? args[++i]
    switch (name) {
      case '--network-family-autoselection':
      case '--enable-network-family-autoselection':
        s.autoSelectFamily = true
        s.from.autoSelectFamily = 'NODE_OPTIONS'
        break
      case '--no-network-family-autoselection':
      case '--no-enable-network-family-autoselection':
        s.autoSelectFamily = false
        s.from.autoSelectFamily = 'NODE_OPTIONS'
        break
      case '--network-family-autoselection-attempt-timeout': {
        const n = Number(value())
        if (Number.isInteger(n) && n >= 1) {
          s.attemptTimeoutMs = Math.max(10, n)
          s.from.attemptTimeoutMs = 'NODE_OPTIONS'
        }
        break
      }
      case '--dns-result-order': {
        const v = value()
        if (v === 'verbatim' || v === 'ipv4first' || v === 'ipv6first') {
          s.dnsOrder = v
          s.from.dnsOrder = 'NODE_OPTIONS'
        }
        break
      }
      default:
    }
  }
  return s
}

/** dns.lookup's order for a result order setting (stable; verbatim keeps the resolver's order). */
export function applyDnsOrder<T extends ResolvedAddress>(addresses: readonly T[], order: DnsOrder): T[] {
  if (order === 'verbatim') return [...addresses]
  const first: IpFamily = order === 'ipv4first' ? 4 : 6
  return [...addresses.filter((a) => a.family === first), ...addresses.filter((a) => a.family !== first)]
}

/** Node's toAttempt list: de-duplicated, families interleaved starting with the first address's family. */
export function interleaveFamilies<T extends ResolvedAddress>(addresses: readonly T[]): T[] {
  if (addresses.length === 0) return []
  const firstFamily = addresses[0].family
  const groups: [T[], T[]] = [[], []]
  const seen = new Set<string>()
  for (const a of addresses) {
    if (seen.has(a.address)) continue
    seen.add(a.address)
    groups[a.family === firstFamily ? 0 : 1].push(a)
  }
  const out: T[] = []
  for (let i = 0; i < Math.max(groups[0].length, groups[1].length); i++) {
    if (i < groups[0].length) out.push(groups[0][i])
    if (i < groups[1].length) out.push(groups[1][i])
  }
  return out
}

/** The kernel's connect timeout for a silent address: SYN + n retries with doubling RTO from 1 s. */
export function kernelSynTimeoutMs(synRetries = 6): number {
  return (2 ** (synRetries + 1) - 1) * 1000
}

type StepResult = 'connected' | 'abandoned' | 'refused' | 'timeout' | 'unreachable' | 'reset' | 'error'

interface PredictedStep {
  address: string
  family: IpFamily
  /** What this attempt does in the client. 'abandoned': Happy Eyeballs moved on before an answer. */
  result: StepResult
  /** When the attempt starts / ends, from the start of the connect. */
  startMs: number
  endMs: number
}

/** How the client goes through the addresses (src/catalogue/tcp.ts words it into the prediction's story). */
type PredictionPath =
  | {kind: 'happy-eyeballs'; attemptTimeoutMs: number; addresses: string[]}
  | {kind: 'literal' | 'only-address' | 'autoselect-off'; address: string | null}
  /** libpq: each address in order; how long it waits on a silent one (null: none is silent) */
  | {kind: 'in-order'; wait: {connectTimeoutS: number} | {kernelMs: number} | null}

export interface Prediction {
  client: 'node-postgres' | 'libpq'
  ok: boolean
  /** The address the client ends up on. */
  address: string | null
  /** Time until connected or until the error. */
  afterMs: number
  /** The error the app sees: "AggregateError [ETIMEDOUT]", "Error: timeout expired", "ECONNREFUSED"… */
  error: string | null
  steps: PredictedStep[]
  path: PredictionPath
  /** node-postgres: pg's connectionTimeoutMillis is known to be set */
  connectionTimeoutSet: boolean
}

interface NodePredictionInput {
  /** Addresses as dns.lookup returns them with the resolver's own order (verbatim). */
  attempts: readonly ObservedAttempt[]
  settings: NodeNetSettings
  /** The host was an IP literal: no lookup, one address. */
  literal?: boolean
  /** pg's connectionTimeoutMillis when known (it is set in code, not in the URL). */
  connectionTimeoutMillis?: number
  kernelTimeoutMs?: number
}

function failCode(a: ObservedAttempt): string {
  if (a.errorCode) return a.errorCode
  switch (a.outcome) {
    case 'refused':
      return 'ECONNREFUSED'
    case 'timeout':
      return 'ETIMEDOUT'
    case 'unreachable':
      return 'EHOSTUNREACH'
    case 'reset':
      return 'ECONNRESET'
    default:
      return 'ERROR'
  }
}

export function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${Math.round(ms / 1000)} s`
  if (ms >= 1000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`
  return `${Math.round(ms)} ms`
}

/** What node-postgres (net.Socket#connect with Node's defaults) does with these addresses. */
export function predictNode(input: NodePredictionInput): Prediction {
  const kernel = input.kernelTimeoutMs ?? kernelSynTimeoutMs()
  const {settings} = input
  const ordered = applyDnsOrder(input.attempts, settings.dnsOrder)
  const unique = interleaveFamilies(ordered)
  const multiple = settings.autoSelectFamily && !input.literal && unique.length > 1
  const list = multiple ? unique : ordered.slice(0, 1)
  const steps: PredictedStep[] = []
  const errors: string[] = []
  let t = 0
  let connected: ObservedAttempt | null = null
  for (let i = 0; i < list.length; i++) {
    const a = list[i]
    const last = i === list.length - 1
    const base = {address: a.address, family: a.family, startMs: t}
    if (a.outcome === 'connected') {
      if (!last && a.ms > settings.attemptTimeoutMs) {
        t += settings.attemptTimeoutMs
        steps.push({...base, result: 'abandoned', endMs: t})
        errors.push('ETIMEDOUT')
        continue
      }
      t += a.ms
      steps.push({...base, result: 'connected', endMs: t})
      connected = a
      break
    }
    if (a.outcome === 'timeout') {
      t += last ? kernel : settings.attemptTimeoutMs
      steps.push({...base, result: last ? 'timeout' : 'abandoned', endMs: t})
      errors.push('ETIMEDOUT')
      continue
    }
    t += a.ms
    steps.push({...base, result: a.outcome === 'reset' ? 'reset' : a.outcome, endMs: t})
    errors.push(failCode(a))
  }
  let ok = connected !== null
  let error: string | null = ok ? null : multiple ? `AggregateError [${errors[0]}]` : `Error: connect ${errors[0]}`
  let afterMs = t
  const cut = input.connectionTimeoutMillis
  if (cut && cut > 0 && t > cut) {
    ok = false
    connected = null
    error = 'Error: timeout expired'
    afterMs = cut
  }
  const first = list[0]?.address ?? null
  const path: PredictionPath = multiple
    ? {kind: 'happy-eyeballs', attemptTimeoutMs: settings.attemptTimeoutMs, addresses: list.map((a) => a.address)}
    : {kind: input.literal ? 'literal' : settings.autoSelectFamily ? 'only-address' : 'autoselect-off', address: first}
  return {
    client: 'node-postgres',
    ok,
    address: connected?.address ?? null,
    afterMs,
    error,
    steps,
    path,
    connectionTimeoutSet: Boolean(cut),
  }
}

interface LibpqPredictionInput {
  /** Addresses in getaddrinfo order (libpq ignores Node's flags). */
  attempts: readonly ObservedAttempt[]
  /** connect_timeout in seconds from the config, if set. */
  connectTimeoutS?: number
  kernelTimeoutMs?: number
}

/** What libpq (psql) does: each address in order, connect_timeout per address. */
export function predictLibpq(input: LibpqPredictionInput): Prediction {
  const kernel = input.kernelTimeoutMs ?? kernelSynTimeoutMs()
  const ct =
    input.connectTimeoutS && input.connectTimeoutS > 0 ? Math.max(2, Math.floor(input.connectTimeoutS)) * 1000 : 0
  const perAddress = ct || kernel
  const steps: PredictedStep[] = []
  let t = 0
  let connected: ObservedAttempt | null = null
  let lastError = ''
  for (const a of input.attempts) {
    const base = {address: a.address, family: a.family, startMs: t}
    if (a.outcome === 'connected' && (!ct || a.ms <= ct)) {
      t += a.ms
      steps.push({...base, result: 'connected', endMs: t})
      connected = a
      break
    }
    if (a.outcome === 'timeout' || a.outcome === 'connected') {
      t += perAddress
      steps.push({...base, result: 'timeout', endMs: t})
      // the client's own words: libpq's on its connect_timeout, else the OS's strerror(ETIMEDOUT)
      lastError = ct ? verbatim('timeout expired') : verbatim('Connection timed out')
      continue
    }
    t += a.ms
    steps.push({...base, result: a.outcome, endMs: t})
    // the OS's strerror for ECONNREFUSED and EHOSTUNREACH, as the client prints it
    lastError =
      a.outcome === 'refused'
        ? verbatim('Connection refused')
        : a.outcome === 'unreachable'
          ? verbatim('No route to host')
          : failCode(a)
  }
  const ok = connected !== null
  const silent = input.attempts.some((a) => a.outcome === 'timeout')
  const path: PredictionPath = {
    kind: 'in-order',
    wait: !silent ? null : ct ? {connectTimeoutS: ct / 1000} : {kernelMs: kernel},
  }
  return {
    client: 'libpq',
    ok,
    address: connected?.address ?? null,
    afterMs: t,
    error: ok ? null : lastError,
    steps,
    path,
    connectionTimeoutSet: false,
  }
}
