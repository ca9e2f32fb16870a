// Docker networking: the classic container mistakes. `localhost` inside a
// container, Docker's embedded DNS (127.0.0.11) failing, and a compose service
// name used from the host, where it does not resolve.
import {isIP} from 'node:net'
import type {DnsFacts, DockerFacts} from '../core/facts.js'
import type {Check, CheckContext, CheckOutcome} from '../core/types.js'
import {settingsSnippet} from './snippets.js'
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
import {type DirectQueryResult, queryDirect} from '../probes/dns.js'
import {probeTcp} from '../probes/tcp.js'

export interface DockerCheckDeps {
  /** Where container detection looks (tests point these at fixtures). */
  paths?: Partial<ContainerPaths>
  /** Where Docker's embedded DNS listens; default 127.0.0.11:53. */
  embeddedDns?: {address: string; port: number}
}

const DNS_FAILURES = new Set(['DNS_NOT_FOUND', 'DNS_TEMPORARY_FAILURE', 'DNS_TIMEOUT'])

export function createDockerCheck(deps: DockerCheckDeps = {}): Check {
  return {
    id: 'docker',
    title: 'Docker networking',
    requires: ['config'],
    provides: ['docker'],
    uses: ['dns'],
    run: (ctx) => runDocker(ctx, deps),
  }
}

export const dockerCheck: Check = createDockerCheck()

async function runDocker(ctx: CheckContext, deps: DockerCheckDeps): Promise<CheckOutcome> {
  const inputs = await readContainerInputs(deps.paths)
  const detected = detectContainer(inputs)
  const facts: DockerFacts = detected
  ctx.facts.docker = facts
  const field = ctx.config.fields.host
  const base = {inContainer: detected.inContainer, embeddedDns: detected.embeddedDns, signals: detected.signals, runtime: detected.runtime}
  if (!field?.value) {
    return {
      status: 'skip',
      code: null,
      summary: `No host is configured${detected.inContainer ? '' : '; not in a container'}.`,
      evidence: base,
      fix: null,
    }
  }
  const host = field.value.trim()
  const source = field.source.label
  const port = Number(ctx.config.fields.port?.value ?? 5432) || 5432
  const dnsResult = ctx.results.get('dns')
  const dnsFacts = ctx.facts.dns as DnsFacts | undefined

  if (host.startsWith('/')) {
    return {status: 'skip', code: null, summary: 'Unix socket: no container networking involved.', evidence: {...base, host}, fix: null}
  }

  if (detected.inContainer) {
    // --- localhost inside a container
    const loopback = loopbackAddresses(host)
    if (loopback) {
      const attempts = await Promise.all(loopback.map((a) => probeTcp(a, port, ctx.options.timeoutMs)))
      const listening = attempts.find((a) => a.outcome === 'connected')
      const evidence = {...base, host, source, port, loopbackProbe: attempts.map((a) => ({address: a.address, port: a.port, outcome: a.outcome, ms: a.ms}))}
      if (listening) {
        return {
          status: 'pass',
          code: null,
          summary: `In a container, ${host} is the container itself, and something listens on ${listening.address}:${port} here.`,
          evidence,
          fix: null,
        }
      }
      return {
        status: 'warn',
        code: 'DOCKER_LOCALHOST',
        summary: `${host} (host ← ${source}) inside a container means the container itself, and nothing listens on port ${port} here.`,
        evidence,
        fix: {
          summary: `Point the host in ${source} at the database container or at the Docker host, not at ${host}.`,
          steps: [
            `If PostgreSQL runs as a compose service, use its service name (e.g. db) as the host in ${source}; both services must share a network.`,
            'If PostgreSQL runs on the Docker host, use host.docker.internal; on Linux add `extra_hosts: ["host.docker.internal:host-gateway"]` to the service and make PostgreSQL listen on the bridge address (listen_addresses, pg_hba.conf).',
            'Or run the container with network_mode: host (Linux only) so that localhost is the host.',
          ],
          snippet: {
            language: 'yaml',
            code: [
              'services:',
              '  app:',
              '    environment:',
              `      ${composeEnvLine(ctx, host, port)}`,
              '    extra_hosts:',
              '      - "host.docker.internal:host-gateway"   # when PostgreSQL runs on the host',
              '  db:',
              '    image: postgres:16',
            ].join('\n'),
          },
        },
      }
    }

    // --- the dns check failed against Docker's embedded DNS
    if (detected.embeddedDns && dnsResult?.status === 'fail' && DNS_FAILURES.has(dnsResult.code ?? '')) {
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
        answer = describe(a)
        rows = [
          {server: DOCKER_DNS, name, type: 'A', answer: describe(a), ms: a.ms},
          {server: DOCKER_DNS, name, type: 'AAAA', answer: describe(aaaa), ms: aaaa.ms},
        ]
      }
      const why =
        answer === 'NXDOMAIN'
          ? `Docker's embedded DNS does not know \`${host}\`: compose service names resolve only for containers on the same user-defined network, and outside names are forwarded to the host's resolvers, which do not know it either.`
          : answer === 'timeout'
            ? `Docker's embedded DNS (${DOCKER_DNS}) did not answer within ${ctx.options.timeoutMs} ms: the daemon cannot reach its upstream resolvers (VPN, firewall, host resolv.conf pointing at 127.0.0.53).`
            : `Docker's embedded DNS (${DOCKER_DNS}) answered ${answer}: it forwards outside names to the host's resolvers, and those failed.`
      return {
        status: 'fail',
        code: 'DOCKER_DNS_FAILURE',
        summary: `Inside a container, ${host} (host ← ${source}) does not resolve through Docker's DNS at ${DOCKER_DNS} (${answer}).`,
        evidence: {...base, host, source, dnsCheck: dnsResult.code, embeddedDnsAnswers: rows},
        fix: {
          summary: why,
          steps: [
            `If \`${host}\` is a compose service, put this container and that service on the same user-defined network (the default bridge has no service-name DNS) and check the name's spelling.`,
            'If it is an outside name (a cloud endpoint, a VPN-only name), give the service DNS servers that know it with `dns:` in compose, or fix the daemon\'s "dns" in /etc/docker/daemon.json.',
            'Or use `network_mode: host` (Linux) so the container uses the host\'s resolver, or run the migration from the host instead.',
          ],
          snippet: {
            language: 'yaml',
            code: [
              'services:',
              '  app:',
              '    networks: [backend]',
              '    dns:',
              '      - 10.0.0.2        # a resolver that knows the database host (e.g. your VPN or VPC DNS)',
              '  db:',
              '    networks: [backend]',
              'networks:',
              '  backend: {}',
            ].join('\n'),
          },
        },
      }
    }

    // --- a service name from a container that does not use Docker's embedded DNS
    if (!detected.embeddedDns && dnsResult?.code === 'DNS_NOT_FOUND' && !host.replace(/\.$/, '').includes('.')) {
      const nameservers = inputs.resolvConf
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter(([k, v]) => k === 'nameserver' && v)
        .map(([, v]) => v)
      return {
        status: 'fail',
        code: 'DOCKER_DNS_FAILURE',
        summary: `Inside a container without Docker's embedded DNS (resolv.conf: ${nameservers.join(', ') || 'no nameserver'}), the short name ${host} (host ← ${source}) does not resolve.`,
        evidence: {...base, host, source, dnsCheck: dnsResult.code, nameservers},
        fix: {
          summary: `Containers on Docker's default bridge network (or with a custom resolv.conf) cannot resolve compose service names like ${host}: only user-defined networks have service-name DNS at ${DOCKER_DNS}.`,
          steps: [
            'Run the container on a user-defined network shared with the database service (docker compose creates one per project; with docker run use --network <name>).',
            `Do not override /etc/resolv.conf or set network_mode: bridge for this service; then ${host} resolves through ${DOCKER_DNS}.`,
            `Or use the database's IP address or host.docker.internal in ${source}.`,
          ],
          snippet: {
            language: 'yaml',
            code: ['services:', '  app:', '    networks: [backend]', `  ${host}:`, '    networks: [backend]', 'networks:', '  backend: {}'].join('\n'),
          },
        },
      }
    }

    return {
      status: 'pass',
      code: null,
      summary: `Running in a container (${detected.signals.join(', ')})${detected.embeddedDns ? `, with Docker's embedded DNS at ${DOCKER_DNS}` : ''}; no Docker networking pitfall found for ${host}.`,
      evidence: {...base, host},
      fix: null,
    }
  }

  // --- outside a container: a compose service name used from the host
  const compose = await readComposeFiles(ctx.cwd)
  const match = findService(compose, host)
  if (match) {
    const resolvedHere = dnsResult ? dnsResult.status !== 'fail' : undefined
    if (resolvedHere === true) {
      return {
        status: 'pass',
        code: null,
        summary: `Not in a container. ${host} is a service in ${match.file}, but it resolves here (e.g. through /etc/hosts).`,
        evidence: {...base, host, composeFile: match.file, service: match.service.name},
        fix: null,
      }
    }
    const published = pickPort(match.service.ports, port)
    const hostPart = published?.hostIp && published.hostIp !== '0.0.0.0' && published.hostIp !== '::' ? published.hostIp : 'localhost'
    const portsTable = match.service.ports.map((p) => ({published: p.published ?? '(random)', target: p.target, hostIp: p.hostIp ?? '', spec: p.raw}))
    const steps: string[] = []
    let snippet: {language: string; code: string} | undefined
    if (published?.published) {
      steps.push(
        `Change the host in ${source} from ${host} to ${hostPart} and the port to ${published.published} (service ${match.service.name} publishes ${published.raw} in ${match.file}).`,
        `Keep ${host}:${port} for code that runs inside the compose network; use a separate env file for the host.`,
      )
      snippet = settingsSnippet(ctx.config, {host: hostPart, port: String(published.published)})
    } else if (published) {
      steps.push(
        `Service ${match.service.name} publishes container port ${published.target} on a random host port: find it with \`docker compose port ${match.service.name} ${published.target}\`, then use localhost and that port in ${source}.`,
        `Or publish a fixed port in ${match.file}: ports: ["${port}:${published.target}"].`,
      )
    } else {
      steps.push(
        `Service ${match.service.name} publishes no port to the host in ${match.file}: add one, then use localhost and that port in ${source}.`,
        `Or run the command inside the compose network: docker compose run --rm <app service> <command>.`,
      )
      snippet = {
        language: 'yaml',
        code: ['services:', `  ${match.service.name}:`, '    ports:', `      - "${port}:${port}"`].join('\n'),
      }
    }
    return {
      status: resolvedHere === false ? 'fail' : 'warn',
      code: 'DOCKER_SERVICE_NAME_FROM_HOST',
      summary:
        `${host} (host ← ${source}) is a service name in ${match.file}; service names resolve only inside the compose network, not on this machine` +
        (published?.published ? `: use ${hostPart}:${published.published}.` : '.'),
      evidence: {...base, host, source, composeFile: match.file, service: match.service.name, ports: portsTable, dnsCheck: dnsResult?.code ?? dnsResult?.status ?? 'not run'},
      fix: {summary: `Outside Docker, reach ${match.service.name} through the port it publishes on localhost.`, steps, ...(snippet ? {snippet} : {})},
    }
  }

  return {
    status: 'pass',
    code: null,
    summary: 'Not in a container; no Docker networking pitfall applies.',
    evidence: {...base, host, composeFiles: compose.map((c) => c.file)},
    fix: null,
  }
}

function describe(r: DirectQueryResult): string {
  if (!r.ok) return r.error === 'timeout' ? 'timeout' : `error: ${r.message}`
  if (r.rcode !== 'NOERROR') return r.rcode
  return r.answers.length ? r.answers.join(', ') : 'NOERROR (no records)'
}

function loopbackAddresses(host: string): {address: string; family: 4 | 6}[] | null {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
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

/** The compose `environment:` line that points the app at the service `db`, in the variable the app reads. */
function composeEnvLine(ctx: CheckContext, host: string, port: number): string {
  const isEnv = (k?: string) => k === 'env' || k === 'env-file'
  const cs = ctx.config.connectionString
  const hostSrc = ctx.config.fields.host?.source
  if (!cs && hostSrc && isEnv(hostSrc.kind)) return `${hostSrc.name}: db   # service name, not ${host}`
  const name = cs && isEnv(cs.source.kind) ? cs.source.name : 'DATABASE_URL'
  return `${name}: postgres://USER:PASSWORD@db:${port}/DBNAME   # service name, not ${host}`
}
