import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {createDnsCheck} from '../../src/checks/dns.js'
import {createDockerCheck} from '../../src/checks/docker.js'
import type {Provenance} from '../../src/config/types.js'
import {runChecks} from '../helpers/run-checks.js'
import type {CheckResult} from '../../src/core/types.js'
import type {CheckContext} from '../../src/checks/types.js'
import {detectContainer, parseComposeServices, parseShortPort, readContainerInputs} from '../../src/probes/container.js'
import {resolverLookup} from '../../src/probes/dns.js'
import {type DnsServer, startDnsServer} from '../lab/dns-server.mjs'

const SOURCE: Provenance = {kind: 'env-file', name: 'DATABASE_URL', file: '.env', label: 'DATABASE_URL in .env'}
const EMPTY = {dockerenv: false, containerenv: false, cgroup: '', mountinfo: '', resolvConf: ''}

function ctxFor(host: string, port: number, cwd: string, dnsServers: string[] = []): Omit<CheckContext, 'results'> {
  return {
    config: {
      fields: {host: {value: host, source: SOURCE}, port: {value: String(port), source: SOURCE}},
      primary: SOURCE,
      shadowed: [],
      problems: [],
      notFound: false,
    },
    env: {},
    cwd,
    options: {timeoutMs: 1000, verbose: false, dnsServers},
    facts: {},
  }
}

describe('container detection (pure)', () => {
  it('is not a container when nothing says so', () => {
    expect(detectContainer({...EMPTY, cgroup: '0::/\n', resolvConf: 'nameserver 10.0.0.2\n'})).toMatchObject({
      inContainer: false,
      embeddedDns: false,
      signals: [],
    })
  })

  it('recognizes the marker files, cgroup v1 paths, mountinfo and the embedded DNS', () => {
    expect(detectContainer({...EMPTY, dockerenv: true})).toMatchObject({
      inContainer: true,
      runtime: 'docker',
      signals: ['/.dockerenv'],
    })
    expect(detectContainer({...EMPTY, containerenv: true})).toMatchObject({inContainer: true, runtime: 'podman'})
    expect(detectContainer({...EMPTY, cgroup: '12:memory:/docker/0123456789abcdef\n'})).toMatchObject({
      inContainer: true,
      runtime: 'docker',
      signals: ['cgroup'],
    })
    expect(detectContainer({...EMPTY, cgroup: '0::/kubepods/besteffort/pod1234\n'})).toMatchObject({
      inContainer: true,
      signals: ['cgroup'],
    })
    expect(
      detectContainer({
        ...EMPTY,
        mountinfo:
          '612 590 254:1 /var/lib/docker/containers/3f4e5d6c7b8a9f0e1d2c/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw\n',
      }),
    ).toMatchObject({inContainer: true, runtime: 'docker', signals: ['mountinfo']})
    // a plain host running containers: its own mount table lists their shm and kubelet volumes
    expect(
      detectContainer({
        ...EMPTY,
        cgroup: '0::/init.scope\n',
        mountinfo: [
          '29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
          '812 29 0:73 / /var/lib/docker/containers/3f4e5d6c7b8a9f0e1d2c3b4a/mounts/shm rw,nosuid shared:420 - tmpfs shm rw,size=65536k',
          '830 29 0:75 / /var/lib/kubelet/pods/0a1b2c3d-aaaa/volumes/kubernetes.io~projected/kube-api-access rw - tmpfs tmpfs rw',
          '',
        ].join('\n'),
        resolvConf: 'nameserver 127.0.0.53\n',
      }),
    ).toMatchObject({inContainer: false, signals: []})
    expect(detectContainer({...EMPTY, resolvConf: '# Docker\nnameserver 127.0.0.11\noptions ndots:0\n'})).toMatchObject(
      {
        inContainer: true,
        embeddedDns: true,
        signals: ['127.0.0.11'],
      },
    )
  })

  it('reads injected paths, tolerating missing files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbd-ctr-'))
    writeFileSync(join(dir, '.dockerenv'), '')
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.11\n')
    const inputs = await readContainerInputs({
      dockerenv: join(dir, '.dockerenv'),
      containerenv: join(dir, 'missing'),
      cgroup: join(dir, 'missing'),
      mountinfo: join(dir, 'missing'),
      resolvConf: join(dir, 'resolv.conf'),
    })
    expect(inputs).toEqual({
      dockerenv: true,
      containerenv: false,
      cgroup: '',
      mountinfo: '',
      resolvConf: 'nameserver 127.0.0.11\n',
    })
  })
})

describe('compose reader', () => {
  it('reads services, container_name and every ports syntax', () => {
    const services = parseComposeServices(
      [
        'version: "3.9"',
        'services:',
        '  app:',
        '    build: .',
        '    environment:',
        '      DATABASE_URL: postgres://u:p@db:5432/app',
        '    depends_on: [db]',
        '  db:',
        '    image: postgres:16',
        '    container_name: pg',
        '    ports:',
        '      - "5433:5432"  # published',
        '      - 127.0.0.1:6000:6000',
        '  "cache":',
        `    ports: ["6379", '16379:6379/tcp']`,
        '  pg2:',
        '    ports:',
        '    - target: 5432',
        '      published: "55432"',
        '      host_ip: 127.0.0.1',
        'volumes:',
        '  data: {}',
      ].join('\n'),
    )
    expect(services.map((s) => s.name)).toEqual(['app', 'db', 'cache', 'pg2'])
    expect(services[1]).toMatchObject({
      containerName: 'pg',
      ports: [
        {target: 5432, published: 5433},
        {target: 6000, published: 6000, hostIp: '127.0.0.1'},
      ],
    })
    expect(services[2].ports).toMatchObject([{target: 6379}, {target: 6379, published: 16379}])
    expect(services[2].ports[0].published).toBeUndefined()
    expect(services[3].ports).toMatchObject([{target: 5432, published: 55432, hostIp: '127.0.0.1'}])
  })

  it('parses short port specs', () => {
    expect(parseShortPort('5432')).toEqual([{target: 5432, raw: '5432'}])
    expect(parseShortPort('[::1]:5433:5432')).toEqual([
      {target: 5432, published: 5433, hostIp: '::1', raw: '[::1]:5433:5432'},
    ])
    expect(parseShortPort('53:53/udp')).toBeNull()
  })
})

describe('docker check', () => {
  let dns: DnsServer
  let dir: string
  const notInContainer = (d: string) => ({
    dockerenv: join(d, 'none'),
    containerenv: join(d, 'none'),
    cgroup: join(d, 'none'),
    mountinfo: join(d, 'none'),
    resolvConf: join(d, 'resolv.conf'),
  })
  const inContainer = (d: string) => ({...notInContainer(d), dockerenv: join(d, '.dockerenv')})

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbd-docker-'))
    writeFileSync(join(dir, '.dockerenv'), '')
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\n')
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n')
    mkdirSync(join(dir, 'proc'))
    dns = await startDnsServer({zone: {'db.check.test': {A: ['192.0.2.10']}}}) // everything else: NXDOMAIN
  })
  afterAll(() => dns.close())

  /** procDir: an empty one by default (no PostgreSQL process "in the container"); '/proc' for this machine's. */
  async function run(
    host: string,
    port: number,
    cwd: string,
    paths: Record<string, string>,
    procDir = join(dir, 'proc'),
  ): Promise<CheckResult[]> {
    const registry = [
      createDnsCheck({
        lookup: resolverLookup([`127.0.0.1:${dns.port}`]),
        resolvConfPath: join(dir, 'resolv.conf'),
        hostsPath: join(dir, 'hosts'),
      }),
      createDockerCheck({paths, procDir}),
    ]
    return runChecks(registry, ctxFor(host, port, cwd, [`127.0.0.1:${dns.port}`]))
  }

  async function freePort(): Promise<number> {
    const srv = net.createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as net.AddressInfo).port
    await new Promise((r) => srv.close(r))
    return port
  }

  it('DOCKER_LOCALHOST: localhost in a container with nothing listening on the port', async () => {
    const port = await freePort()
    const [, docker] = await run('localhost', port, dir, inContainer(dir))
    expect(docker).toMatchObject({status: 'warn', code: 'DOCKER_LOCALHOST'})
    expect(docker.summary).toContain('DATABASE_URL in .env')
    expect(docker.fix?.steps.join('\n')).toContain('host.docker.internal:host-gateway')
    expect(docker.evidence.loopbackProbe).toContainEqual(
      expect.objectContaining({address: '127.0.0.1', port, outcome: 'refused'}),
    )
  })

  it('DOCKER_LOCALHOST also for 127.0.0.1; passes when something listens in the container', async () => {
    const port = await freePort()
    const [, refused] = await run('127.0.0.1', port, dir, inContainer(dir))
    expect(refused.code).toBe('DOCKER_LOCALHOST')
    const srv = net.createServer((s) => s.end())
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    try {
      const listening = (srv.address() as net.AddressInfo).port
      const [, docker] = await run('127.0.0.1', listening, dir, inContainer(dir))
      expect(docker.status).toBe('pass')
    } finally {
      srv.close()
    }
  })

  it('no DOCKER_LOCALHOST while the server runs in the same container on another port (real probe of the test server)', async () => {
    const pg = inject('pg')
    const [, docker] = await run('localhost', pg.port + 1, dir, inContainer(dir))
    expect(docker.status).toBe('pass')
    expect(docker.code).toBeNull()
    expect(docker.summary).toContain(`answers here on ${pg.host}:${pg.port}, not on ${pg.port + 1}`)
  })

  it("no DOCKER_LOCALHOST while a PostgreSQL process runs in the same PID namespace (this machine's /proc)", async () => {
    const port = await freePort()
    const [, docker] = await run('localhost', port, dir, inContainer(dir), '/proc')
    expect(docker.status).toBe('pass')
    expect(docker.summary).toMatch(/a PostgreSQL server process runs here \(pid \d+/)
    expect(docker.evidence.postgresProcesses).toEqual(expect.arrayContaining([expect.any(Number)]))
  })

  it('DOCKER_SERVICE_NAME_FROM_HOST: a compose service name used from the host, with its published port', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-compose-'))
    writeFileSync(
      join(cwd, 'docker-compose.yml'),
      'services:\n  app:\n    build: .\n  postgres:\n    image: postgres:16\n    ports:\n      - "5433:5432"\n',
    )
    const [dnsResult, docker] = await run('postgres', 5432, cwd, notInContainer(dir))
    expect(dnsResult.code).toBe('DNS_NOT_FOUND')
    expect(docker).toMatchObject({status: 'fail', code: 'DOCKER_SERVICE_NAME_FROM_HOST'})
    expect(docker.summary).toContain('docker-compose.yml')
    expect(docker.summary).toContain('localhost:5433')
    expect(docker.fix?.snippet?.code).toContain('@localhost:5433/')
    expect(docker.evidence).toMatchObject({inContainer: false, service: 'postgres', composeFile: 'docker-compose.yml'})
  })

  it('DOCKER_SERVICE_NAME_FROM_HOST: a service without published ports says to publish one', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dbd-compose-'))
    writeFileSync(join(cwd, 'compose.yaml'), 'services:\n  db:\n    image: postgres:16\n    container_name: pgdb\n')
    const [, docker] = await run('pgdb', 5432, cwd, notInContainer(dir))
    expect(docker).toMatchObject({status: 'fail', code: 'DOCKER_SERVICE_NAME_FROM_HOST'})
    expect(docker.fix?.snippet).toMatchObject({language: 'yaml'})
    expect(docker.fix?.snippet?.code).toContain('"5432:5432"')
  })

  it('passes outside a container when no pitfall applies, saying so', async () => {
    const [, docker] = await run('db.check.test', 5432, dir, notInContainer(dir))
    expect(docker.status).toBe('pass')
    expect(docker.summary).toContain('Not in a container')
    expect(docker.evidence.inContainer).toBe(false)
  })
})
