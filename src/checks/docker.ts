// Docker networking: the classic container mistakes. `localhost` inside a
// container, Docker's embedded DNS (127.0.0.11) failing, and a compose service
// name used from the host, where it does not resolve.
// Data only: the words of every outcome are in src/catalogue/docker.ts.
import {DEFAULT_PORT, isUnixSocketHost} from '../config/connection-string.js'
import {isIP} from 'node:net'
import type {DnsFacts, DockerFacts} from '../core/facts.js'
import type {CheckOutcome} from '../core/types.js'
import type {CheckContext, RegisteredCheck} from './types.js'
import {
  DOCKER_DNS_FAILURE,
  DOCKER_LOCALHOST,
  DOCKER_SERVICE_NAME_FROM_HOST,
  dockerSays,
  type ComposeVariable,
  type ServiceNameParams,
  dockerEntries,
} from '../catalogue/docker.js'
import {directAnswer} from '../catalogue/dns.js'
import {settingsSnippet} from '../catalogue/snippets.js'
import {
  type ComposeFile,
  type ComposePort,
  type ComposeService,
  type ContainerPaths,
  DOCKER_DNS,
  detectContainer,
  readComposeFiles,
  readContainerInputs,
} from '../probes/container.js'
import {queryDirect} from '../probes/dns.js'
import {probeTcp} from '../probes/tcp.js'

declare module '../core/facts.js' {
  interface Facts {
    docker?: DockerFacts
  }
}

interface DockerCheckDeps {
  /** Where container detection looks (tests point these at fixtures). */
  paths?: Partial<ContainerPaths>
  /** Where Docker's embedded DNS listens; default 127.0.0.11:53. */
  embeddedDns?: {address: string; port: number}
  /** The proc file system whose processes are this container's (default /proc). */
  procDir?: string
}

const DNS_FAILURES = new Set(['DNS_NOT_FOUND', 'DNS_TEMPORARY_FAILURE', 'DNS_TIMEOUT'])

export function createDockerCheck(deps: DockerCheckDeps = {}): RegisteredCheck<'docker'> {
  return {
    id: 'docker',
    title: dockerSays.title(),
    establishes: dockerSays.establishes(),
    codes: [dockerEntries],
    // explain lists its codes before tcp's, as it did when docker ran first (see explainOrder)
    explainBefore: 'tcp',
    requires: ['config'],
    provides: ['docker'],
    uses: ['dns', 'tcp'],
    // whether the dns check failed, and with which code (its facts say what it found, not its verdict)
    usesResults: ['dns'],
    run: (ctx) => runDocker(ctx, deps),
  }
}

export const dockerCheck: RegisteredCheck<'docker'> = createDockerCheck()

/** What every case of the docker check starts from: the container detection, the host and the dns check's answer. */
interface DockerRun {
  ctx: CheckContext
  deps: DockerCheckDeps
  inputs: Awaited<ReturnType<typeof readContainerInputs>>
  detected: DockerFacts
  base: {inContainer: boolean; embeddedDns: boolean; signals: DockerFacts['signals']; runtime: DockerFacts['runtime']}
  host: string
  source: string
  port: number
  dnsResult: ReturnType<CheckContext['results']['get']>
  dnsFacts: DnsFacts | undefined
}

async function runDocker(ctx: CheckContext, deps: DockerCheckDeps): Promise<CheckOutcome> {
  const inputs = await readContainerInputs(deps.paths)
  const detected = detectContainer(inputs)
  const facts: DockerFacts = detected
  ctx.facts.docker = facts
  const field = ctx.config.fields.host
  const base = {
    inContainer: detected.inContainer,
    embeddedDns: detected.embeddedDns,
    signals: detected.signals,
    runtime: detected.runtime,
  }
  if (!field?.value) {
    return {
      status: 'skip',
      code: null,
      summary: dockerSays.noHost({inContainer: detected.inContainer}),
      evidence: base,
      fix: null,
    }
  }
  const host = field.value.trim()
  if (isUnixSocketHost(host)) {
    return {status: 'skip', code: null, summary: dockerSays.socket(), evidence: {...base, host}, fix: null}
  }
  const run: DockerRun = {
    ctx,
    deps,
    inputs,
    detected,
    base,
    host,
    source: field.source.label,
    port: Number(ctx.config.fields.port?.value ?? DEFAULT_PORT) || DEFAULT_PORT,
    dnsResult: ctx.results.get('dns'),
    dnsFacts: ctx.facts.dns as DnsFacts | undefined,
  }
  if (!detected.inContainer) return fromHost(run)
  return (
    (await localhostInContainer(run)) ??
    (await embeddedDnsFailure(run)) ??
    (await serviceWithoutEmbeddedDns(run)) ?? {
      status: 'pass',
      code: null,
      summary: dockerSays.inContainer({
        host,
        signals: detected.signals,
        embeddedDns: detected.embeddedDns ? DOCKER_DNS : null,
      }),
      evidence: {...base, host},
      fix: null,
    }
  )
}

/** localhost inside a container: null when the host is not a loopback name or address. */
async function localhostInContainer(run: DockerRun): Promise<CheckOutcome | null> {
  const {ctx, deps, base, host, source, port} = run
  const loopback = loopbackAddresses(host)
  if (!loopback) return null
  const attempts = await Promise.all(loopback.map((a) => probeTcp(a, port, ctx.options.timeoutMs)))
  const listening = attempts.find((a) => a.outcome === 'connected')
  const evidence = {
    ...base,
    host,
    source,
    port,
    loopbackProbe: attempts.map((a) => ({address: a.address, port: a.port, outcome: a.outcome, ms: a.ms})),
  }
  if (listening) {
    return {
      status: 'pass',
      code: null,
      summary: dockerSays.localhostListens({host, address: listening.address, port}),
      evidence,
      fix: null,
    }
  }
  // The server may run in this very container (or network namespace), on another port: then localhost is
  // right and the port is the problem (the tcp check's TCP_REFUSED says which port answers).
  const loopbackSet = new Set(loopback.map((a) => a.address))
  const {findPostgresNearby} = await import('../probes/ssl-request.js')
  const tcpNearby = ctx.facts.tcp?.nearby
  const nearby = (tcpNearby ?? (await findPostgresNearby(loopback, port, ctx.options.timeoutMs))).filter((n) =>
    loopbackSet.has(n.address),
  )
  if (nearby[0]) {
    return {
      status: 'pass',
      code: null,
      summary: dockerSays.serverHereOtherPort({host, address: nearby[0].address, port, otherPort: nearby[0].port}),
      evidence: {...evidence, nearbyHere: nearby.map((n) => `${n.address}:${n.port}`)},
      fix: null,
    }
  }
  const processes = await postgresProcesses(deps.procDir ?? '/proc')
  if (processes.length) {
    return {
      status: 'pass',
      code: null,
      summary: dockerSays.serverProcessHere({host, port, pids: processes}),
      evidence: {...evidence, postgresProcesses: processes},
      fix: null,
    }
  }
  return DOCKER_LOCALHOST.emit({host, source, port, variable: composeVariable(ctx)}, evidence)
}

/** The dns check failed against Docker's embedded DNS: null when it did not. */
async function embeddedDnsFailure(run: DockerRun): Promise<CheckOutcome | null> {
  const {ctx, deps, detected, base, host, source, dnsResult, dnsFacts} = run
  if (!detected.embeddedDns || dnsResult?.status !== 'fail' || !DNS_FAILURES.has(dnsResult.code ?? '')) return null
  const server = deps.embeddedDns ?? {address: DOCKER_DNS, port: 53}
  const name = dnsFacts?.searchedAs ?? host
  // The dns check already asked 127.0.0.11 when it is in resolv.conf: reuse that
  // answer instead of spending another --timeout on a silent server.
  const asked = deps.embeddedDns ? undefined : dnsFacts?.servers?.find((s) => s.server === DOCKER_DNS && s.rcode)
  let answer: string
  let rows: {server: string; name: string; type: string; answer: string; ms: number | null}[]
  if (asked) {
    answer = asked.rcode === 'TIMEOUT' ? 'timeout' : asked.rcode!
    rows = [{server: DOCKER_DNS, name, type: 'A+AAAA', answer: `${answer} (asked by the dns check)`, ms: null}]
  } else {
    const [a, aaaa] = await Promise.all([
      queryDirect(server, name, 'A', ctx.options.timeoutMs),
      queryDirect(server, name, 'AAAA', ctx.options.timeoutMs),
    ])
    answer = directAnswer(a)
    rows = [
      {server: DOCKER_DNS, name, type: 'A', answer: directAnswer(a), ms: a.ms},
      {server: DOCKER_DNS, name, type: 'AAAA', answer: directAnswer(aaaa), ms: aaaa.ms},
    ]
  }
  return DOCKER_DNS_FAILURE.emit(
    {host, source, dockerDns: DOCKER_DNS, case: 'embedded-dns', answer, timeoutMs: ctx.options.timeoutMs},
    {...base, host, source, dnsCheck: dnsResult.code, directAnswers: rows},
  )
}

/**
 * A compose service name from a container that does not use Docker's embedded DNS. Only a name a compose
 * file here declares: any other NXDOMAIN from a plain resolver is the dns check's finding, not Docker's.
 */
async function serviceWithoutEmbeddedDns(run: DockerRun): Promise<CheckOutcome | null> {
  const {ctx, inputs, detected, base, host, source, dnsResult} = run
  const service =
    !detected.embeddedDns && dnsResult?.code === 'DNS_NOT_FOUND' && !host.replace(/\.$/, '').includes('.')
      ? findService(await readComposeFiles(ctx.cwd), host)
      : null
  if (!service) return null
  const nameservers = inputs.resolvConf
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([k, v]) => k === 'nameserver' && v)
    .map(([, v]) => v)
  return DOCKER_DNS_FAILURE.emit(
    {host, source, dockerDns: DOCKER_DNS, case: 'no-embedded-dns', nameservers, composeFile: service.file},
    {...base, host, source, dnsCheck: dnsResult?.code, nameservers, composeFile: service.file},
  )
}

/** Outside a container: a compose service name used from the host. */
async function fromHost(run: DockerRun): Promise<CheckOutcome> {
  const {ctx, base, host, source, port, dnsResult} = run
  const compose = await readComposeFiles(ctx.cwd)
  const match = findService(compose, host)
  if (!match) {
    return {
      status: 'pass',
      code: null,
      summary: dockerSays.notInContainer(),
      evidence: {...base, host, composeFiles: compose.map((c) => c.file)},
      fix: null,
    }
  }
  const resolvedHere = dnsResult ? dnsResult.status !== 'fail' : undefined
  if (resolvedHere === true) {
    return {
      status: 'pass',
      code: null,
      summary: dockerSays.serviceResolvesHere({host, file: match.file}),
      evidence: {...base, host, composeFile: match.file, service: match.service.name},
      fix: null,
    }
  }
  const published = pickPort(match.service.ports, port)
  const hostPart =
    published?.hostIp && published.hostIp !== '0.0.0.0' && published.hostIp !== '::' ? published.hostIp : 'localhost'
  const portsTable = match.service.ports.map((p) => ({
    published: p.published ?? '(random)',
    target: p.target,
    hostIp: p.hostIp ?? '',
    spec: p.raw,
  }))
  const publish: ServiceNameParams['publish'] = published?.published
    ? {
        kind: 'fixed',
        hostPart,
        published: published.published,
        raw: published.raw,
        snippet: settingsSnippet(ctx.config, {host: hostPart, port: String(published.published)}),
      }
    : published
      ? {kind: 'random', target: published.target}
      : {kind: 'none'}
  return DOCKER_SERVICE_NAME_FROM_HOST.emit(
    {host, source, file: match.file, service: match.service.name, port, publish},
    {
      ...base,
      host,
      source,
      composeFile: match.file,
      service: match.service.name,
      ports: portsTable,
      dnsCheck: dnsResult?.code ?? dnsResult?.status ?? 'not run',
    },
    {status: resolvedHere === false ? 'fail' : 'warn'},
  )
}

/** PostgreSQL server processes visible here (in a container: the container's own), by /proc/<pid>/comm. */
async function postgresProcesses(procDir: string): Promise<number[]> {
  const {readdir, readFile} = await import('node:fs/promises')
  let pids: string[]
  try {
    pids = (await readdir(procDir)).filter((n) => /^\d+$/.test(n)).slice(0, 4096)
  } catch {
    return []
  }
  const comms = await Promise.all(pids.map((pid) => readFile(`${procDir}/${pid}/comm`, 'utf8').catch(() => '')))
  return pids
    .filter((_, i) => /^(?:postgres|postmaster)$/.test(comms[i]!.trim()))
    .map(Number)
    .slice(0, 5)
}

function loopbackAddresses(host: string): {address: string; family: 4 | 6}[] | null {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (h === 'localhost' || h.endsWith('.localhost')) {
    return [
      {address: '127.0.0.1', family: 4},
      {address: '::1', family: 6},
    ]
  }
  if (isIP(h) === 4 && h.startsWith('127.')) return [{address: h, family: 4}]
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return [{address: '::1', family: 6}]
  return null
}

function findService(files: ComposeFile[], host: string): {file: string; service: ComposeService} | null {
  const h = host.toLowerCase().replace(/\.$/, '')
  for (const f of files) {
    for (const s of f.services) {
      if (s.name.toLowerCase() === h || s.containerName?.toLowerCase() === h) return {file: f.file, service: s}
    }
  }
  return null
}

function pickPort(ports: ComposePort[], target: number): ComposePort | undefined {
  return (
    ports.find((p) => p.target === target && p.published) ??
    ports.find((p) => p.target === target) ??
    (ports.length === 1 ? ports[0] : undefined)
  )
}

/** The variable that points the app at the database (the words of the compose line are the catalogue's). */
function composeVariable(ctx: CheckContext): ComposeVariable {
  const isEnv = (k?: string) => k === 'env' || k === 'env-file'
  const cs = ctx.config.connectionString
  const hostSrc = ctx.config.fields.host?.source
  if (!cs && hostSrc && isEnv(hostSrc.kind)) return {name: hostSrc.name, holds: 'host'}
  return {name: cs && isEnv(cs.source.kind) ? cs.source.name : 'DATABASE_URL', holds: 'url'}
}
