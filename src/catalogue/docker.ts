// Codes of the `docker` check, and the check's words: the summaries and fixes of its outcomes, built
// from the params the check emits (src/checks/docker.ts holds data only).
import type {Snippet} from '../core/types.js'
import {define, messages} from './types.js'

/** The host and where it is set (the source's label). */
interface Named {
  host: string
  /** e.g. "DB_HOST in .env" */
  source: string
}

/** Pass and skip summaries of the docker check. */
export const dockerSays = messages({
  /** the check's title in reports */
  title: () => 'Docker networking',
  /** what the check establishes: its line in docs/codes.md's list of checks (`npm run docs`) */
  establishes: () =>
    "whether we run in a container and whether Docker's embedded DNS or `localhost` is the problem (after `tcp`: it explains the failure above it)",
  noHost: (p: {inContainer: boolean}) => `No host is configured${p.inContainer ? '' : '; not in a container'}.`,
  socket: () => 'Unix socket: no container networking involved.',
  localhostListens: (p: {host: string; address: string; port: number}) =>
    `In a container, ${p.host} is the container itself, and something listens on ${p.address}:${p.port} here.`,
  serverHereOtherPort: (p: {host: string; address: string; port: number; otherPort: number}) =>
    `In a container, ${p.host} is the container itself, and a PostgreSQL server answers here on ${p.address}:${p.otherPort}, not on ${p.port}: the server runs in this container, so localhost is right and the port is not (see the tcp check).`,
  serverProcessHere: (p: {host: string; port: number; pids: number[]}) =>
    `In a container, ${p.host} is the container itself, and a PostgreSQL server process runs here (pid ${p.pids.join(', ')}) but does not accept TCP on port ${p.port}: it listens on another port or only on its Unix socket (listen_addresses, port in its postgresql.conf), so localhost is right.`,
  inContainer: (p: {host: string; signals: string[]; embeddedDns: string | null}) =>
    `Running in a container (${p.signals.join(', ')})${p.embeddedDns ? `, with Docker's embedded DNS at ${p.embeddedDns}` : ''}; no Docker networking pitfall found for ${p.host}.`,
  serviceResolvesHere: (p: {host: string; file: string}) =>
    `Not in a container. ${p.host} is a service in ${p.file}, but it resolves here (e.g. through /etc/hosts).`,
  notInContainer: () => 'Not in a container; no Docker networking pitfall applies.',
})

/** The variable that points the app at the database, as compose's `environment:` would set it. */
export type ComposeVariable = {name: string; holds: 'host' | 'url'}

type DockerLocalhostParams = Named & {port: number; variable: ComposeVariable}

type DockerDnsParams = Named & {
  /** Docker's embedded DNS address (127.0.0.11). */
  dockerDns: string
} & (
    | {case: 'embedded-dns'; answer: string; timeoutMs: number}
    | {case: 'no-embedded-dns'; nameservers: string[]; composeFile: string}
  )

export type ServiceNameParams = Named & {
  file: string
  service: string
  /** The port the app connects to. */
  port: number
  publish:
    | {kind: 'fixed'; hostPart: string; published: number; raw: string; snippet: Snippet}
    | {kind: 'random'; target: number}
    | {kind: 'none'}
}

/** The compose `environment:` line that points the app at the service `db`, in the variable the app reads. */
function composeEnvLine(p: DockerLocalhostParams): string {
  if (p.variable.holds === 'host') return `${p.variable.name}: db   # service name, not ${p.host}`
  return `${p.variable.name}: postgres://USER:PASSWORD@db:${p.port}/DBNAME   # service name, not ${p.host}`
}

export const DOCKER_DNS_FAILURE = define<DockerDnsParams>({
  code: 'DOCKER_DNS_FAILURE',
  check: 'docker',
  status: 'fail',
  title: "Docker's embedded DNS cannot resolve the host",
  meaning:
    "Inside a container, Docker's embedded DNS (127.0.0.11) cannot resolve the host (`getaddrinfo EAI_AGAIN db`).",
  causes: [
    'the two services are not on the same user-defined network (`docker run` without `--network`)',
    'the service name is misspelt or the service is not running',
    "Docker's embedded DNS cannot reach its upstream resolver",
  ],
  fix: 'Put both services on the same user-defined network, set `dns:` in compose, use host networking, or run the migration from the host.',
  transient: false,
  confirm: ['config', 'dns', 'docker'],
  matchers: ['127.0.0.11', {re: /getaddrinfo EAI_AGAIN [a-z][a-z0-9_-]{0,62}(?![.\w])/i, needle: 'eai_again'}],
  examples: [
    {
      source: 'docker',
      text: "Error: getaddrinfo EAI_AGAIN db\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26) { errno: -3001, code: 'EAI_AGAIN', syscall: 'getaddrinfo', hostname: 'db' }",
    },
    {source: 'docker', text: ';; communications error to 127.0.0.11#53: timed out'},
  ],
  summary: (p) =>
    p.case === 'embedded-dns'
      ? `Inside a container, ${p.host} (host ← ${p.source}) does not resolve through Docker's DNS at ${p.dockerDns} (${p.answer}).`
      : `Inside a container without Docker's embedded DNS (resolv.conf: ${p.nameservers.join(', ') || 'no nameserver'}), ${p.host} (host ← ${p.source}), a service of ${p.composeFile}, does not resolve.`,
  buildFix: (p) => {
    if (p.case === 'no-embedded-dns') {
      return {
        summary: `Containers on Docker's default bridge network (or with a custom resolv.conf) cannot resolve compose service names like ${p.host}: only user-defined networks have service-name DNS at ${p.dockerDns}.`,
        steps: [
          'Run the container on a user-defined network shared with the database service (docker compose creates one per project; with docker run use --network <name>).',
          `Do not override /etc/resolv.conf or set network_mode: bridge for this service; then ${p.host} resolves through ${p.dockerDns}.`,
          `Or use the database's IP address or host.docker.internal in ${p.source}.`,
        ],
        snippet: {
          language: 'yaml',
          code: [
            'services:',
            '  app:',
            '    networks: [backend]',
            `  ${p.host}:`,
            '    networks: [backend]',
            'networks:',
            '  backend: {}',
          ].join('\n'),
        },
      }
    }
    const why =
      p.answer === 'NXDOMAIN'
        ? `Docker's embedded DNS does not know \`${p.host}\`: compose service names resolve only for containers on the same user-defined network, and outside names are forwarded to the host's resolvers, which do not know it either.`
        : p.answer === 'timeout'
          ? `Docker's embedded DNS (${p.dockerDns}) did not answer within ${p.timeoutMs} ms: the daemon cannot reach its upstream resolvers (VPN, firewall, host resolv.conf pointing at 127.0.0.53).`
          : `Docker's embedded DNS (${p.dockerDns}) answered ${p.answer}: it forwards outside names to the host's resolvers, and those failed.`
    return {
      summary: why,
      steps: [
        `If \`${p.host}\` is a compose service, put this container and that service on the same user-defined network (the default bridge has no service-name DNS) and check the name's spelling.`,
        'If it is an outside name (a cloud endpoint, a VPN-only name), give the service DNS servers that know it with `dns:` in compose, or fix the daemon\'s "dns" in /etc/docker/daemon.json.',
        "Or use `network_mode: host` (Linux) so the container uses the host's resolver, or run the migration from the host instead.",
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
    }
  },
})

export const DOCKER_LOCALHOST = define<DockerLocalhostParams>({
  code: 'DOCKER_LOCALHOST',
  check: 'docker',
  status: 'warn',
  title: 'localhost inside a container',
  meaning: 'Inside a container, `localhost` / `127.0.0.1` is the container itself and nothing listens there.',
  causes: [
    'a URL written for the host machine used inside a container',
    'DATABASE_URL copied from a local .env into compose',
  ],
  fix: 'Use the compose service name, or `host.docker.internal` (on Linux with `extra_hosts: ["host.docker.internal:host-gateway"]`).',
  transient: false,
  confirm: ['config', 'dns', 'docker'],
  matchers: [],
  examples: [{source: 'db-doctor', text: '! Docker networking DOCKER_LOCALHOST (3 ms)'}],
  summary: (p) =>
    `${p.host} (host ← ${p.source}) inside a container means the container itself, and nothing listens on port ${p.port} here.`,
  buildFix: (p) => ({
    summary: `Point the host in ${p.source} at the database container or at the Docker host, not at ${p.host}.`,
    steps: [
      `If PostgreSQL runs as a compose service, use its service name (e.g. db) as the host in ${p.source}; both services must share a network.`,
      'If PostgreSQL runs on the Docker host, use host.docker.internal; on Linux add `extra_hosts: ["host.docker.internal:host-gateway"]` to the service and make PostgreSQL listen on the bridge address (listen_addresses, pg_hba.conf).',
      'Or run the container with network_mode: host (Linux only) so that localhost is the host.',
    ],
    snippet: {
      language: 'yaml',
      code: [
        'services:',
        '  app:',
        '    environment:',
        `      ${composeEnvLine(p)}`,
        '    extra_hosts:',
        '      - "host.docker.internal:host-gateway"   # when PostgreSQL runs on the host',
        '  db:',
        '    image: postgres:16',
      ].join('\n'),
    },
  }),
})

export const DOCKER_SERVICE_NAME_FROM_HOST = define<ServiceNameParams>({
  code: 'DOCKER_SERVICE_NAME_FROM_HOST',
  check: 'docker',
  status: 'fail',
  statusText: 'fail (warn when DNS was not checked)',
  title: 'Compose service name used from the host',
  meaning:
    'Outside a container, the host is a service name of the `docker-compose.yml` / `compose.yaml` here, which only resolves inside the compose network.',
  causes: ['a URL written for inside compose (`@db:5432`) used from the host, e.g. `npm run migrate` on the laptop'],
  fix: 'Use `localhost` and the published port (the report reads `ports:`), or publish one.',
  transient: false,
  confirm: ['config', 'dns', 'docker'],
  matchers: [],
  examples: [{source: 'db-doctor', text: '✗ Docker networking DOCKER_SERVICE_NAME_FROM_HOST (5 ms)'}],
  summary: (p) =>
    `${p.host} (host ← ${p.source}) is a service name in ${p.file}; service names resolve only inside the compose network, not on this machine` +
    (p.publish.kind === 'fixed' ? `: use ${p.publish.hostPart}:${p.publish.published}.` : '.'),
  buildFix: (p) => {
    const {host, source, file, service, port, publish} = p
    const steps: string[] = []
    let snippet: Snippet | undefined
    if (publish.kind === 'fixed') {
      steps.push(
        `Change the host in ${source} from ${host} to ${publish.hostPart} and the port to ${publish.published} (service ${service} publishes ${publish.raw} in ${file}).`,
        `Keep ${host}:${port} for code that runs inside the compose network; use a separate env file for the host.`,
      )
      snippet = publish.snippet
    } else if (publish.kind === 'random') {
      steps.push(
        `Service ${service} publishes container port ${publish.target} on a random host port: find it with \`docker compose port ${service} ${publish.target}\`, then use localhost and that port in ${source}.`,
        `Or publish a fixed port in ${file}: ports: ["${port}:${publish.target}"].`,
      )
    } else {
      steps.push(
        `Service ${service} publishes no port to the host in ${file}: add one, then use localhost and that port in ${source}.`,
        `Or run the command inside the compose network: docker compose run --rm <app service> <command>.`,
      )
      snippet = {
        language: 'yaml',
        code: ['services:', `  ${service}:`, '    ports:', `      - "${port}:${port}"`].join('\n'),
      }
    }
    return {
      summary: `Outside Docker, reach ${service} through the port it publishes on localhost.`,
      steps,
      ...(snippet ? {snippet} : {}),
    }
  },
})

export const dockerEntries = [DOCKER_DNS_FAILURE, DOCKER_LOCALHOST, DOCKER_SERVICE_NAME_FROM_HOST]
