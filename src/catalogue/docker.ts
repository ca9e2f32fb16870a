// Codes of the `docker` check.
import {define} from './types.js'

export const dockerEntries = [
  define({
    code: 'DOCKER_DNS_FAILURE',
    check: 'docker',
    status: 'fail',
    title: "Docker's embedded DNS cannot resolve the host",
    meaning: "Inside a container, Docker's embedded DNS (127.0.0.11) cannot resolve the host (`getaddrinfo EAI_AGAIN db`).",
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
      {source: 'docker', text: 'Error: getaddrinfo EAI_AGAIN db\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26) { errno: -3001, code: \'EAI_AGAIN\', syscall: \'getaddrinfo\', hostname: \'db\' }'},
      {source: 'docker', text: ';; communications error to 127.0.0.11#53: timed out'},
    ],
  }),
  define({
    code: 'DOCKER_LOCALHOST',
    check: 'docker',
    status: 'warn',
    title: 'localhost inside a container',
    meaning: 'Inside a container, `localhost` / `127.0.0.1` is the container itself and nothing listens there.',
    causes: ['a URL written for the host machine used inside a container', 'DATABASE_URL copied from a local .env into compose'],
    fix: 'Use the compose service name, or `host.docker.internal` (on Linux with `extra_hosts: ["host.docker.internal:host-gateway"]`).',
    transient: false,
    confirm: ['config', 'dns', 'docker'],
    matchers: [],
    examples: [{source: 'db-doctor', text: '! Docker networking DOCKER_LOCALHOST (3 ms)'}],
  }),
  define({
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
  }),
]
