// DOCKER_DNS_FAILURE against a real DNS server on 127.0.0.11:53 inside a lab
// namespace whose /etc/resolv.conf says `nameserver 127.0.0.11`, exactly like
// a container on a user-defined Docker network.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {CheckResult} from '../../src/core/types.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'
import type {Zone} from './dns-server.mjs'

const lab = labSupport()
if (!lab.ok) console.warn(`[docker dns lab tests skipped] ${lab.reason}`)
const script = fileURLToPath(new URL('./dns-lab.mjs', import.meta.url))

const ZONE: Zone = {
  'db.upstream.test': {rcode: 'SERVFAIL'},
  'db.hung.test': {silent: true},
  'ok.upstream.test': {A: ['192.0.2.10']},
}

/**
 * The step budget unless a test is about the budget: a SERVFAIL sends getaddrinfo to a child process (a Node
 * start-up, seconds on a loaded 2-core machine, more than the 1.2 s this once was); prompt answers do not wait for it.
 */
const STEP_BUDGET_MS = 8000

async function inContainer(host: string, timeoutMs = STEP_BUDGET_MS, dnsAt = '127.0.0.11', compose?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dbd-docker-lab-'))
  writeFileSync(join(dir, '.dockerenv'), '')
  if (compose) writeFileSync(join(dir, 'compose.yaml'), compose)
  writeFileSync(join(dir, 'cgroup'), '0::/\n')
  const r = await runInLab({
    addresses: ['192.0.2.1/24'],
    resolvConf: `nameserver ${dnsAt}\noptions ndots:0 timeout:3 attempts:1\n`,
    script,
    args: [
      JSON.stringify({
        servers: [{host: dnsAt, port: 53, zone: ZONE}],
        host,
        timeoutMs,
        checks: ['dns', 'docker'],
        cwd: dir,
        dockerPaths: {
          dockerenv: join(dir, '.dockerenv'),
          containerenv: join(dir, 'none'),
          cgroup: join(dir, 'cgroup'),
          mountinfo: join(dir, 'none'),
        },
      }),
    ],
    timeoutMs: 40_000,
  })
  if (r.code !== 0) throw new Error(`lab script failed (${r.code}): ${r.stderr}`)
  const out = lastJsonLine<{results: CheckResult[]; ms: number; facts: Record<string, any>}>(r.stdout)
  return {dns: out.results[0], docker: out.results[1], ms: out.ms, facts: out.facts}
}

describe.skipIf(!lab.ok)('docker check with Docker-style embedded DNS (namespace)', () => {
  it('DOCKER_DNS_FAILURE: 127.0.0.11 answers NXDOMAIN for a service name', async () => {
    const {dns, docker, facts} = await inContainer('db')
    expect(dns.code).toBe('DNS_NOT_FOUND')
    expect(docker).toMatchObject({status: 'fail', code: 'DOCKER_DNS_FAILURE'})
    expect(docker.summary).toContain('127.0.0.11')
    expect(docker.summary).toContain('NXDOMAIN')
    expect(docker.fix?.summary).toMatch(/same user-defined network/)
    expect(docker.fix?.snippet?.language).toBe('yaml')
    expect(facts.docker).toMatchObject({inContainer: true, embeddedDns: true, runtime: 'docker'})
  })

  it('DOCKER_DNS_FAILURE: 127.0.0.11 answers SERVFAIL (upstream resolvers failed)', async () => {
    const {dns, docker} = await inContainer('db.upstream.test')
    expect(dns.code).toBe('DNS_TEMPORARY_FAILURE')
    expect(dns.summary).toContain('127.0.0.11 (SERVFAIL)')
    expect(docker).toMatchObject({status: 'fail', code: 'DOCKER_DNS_FAILURE'})
    expect(docker.summary).toContain('SERVFAIL')
    expect(docker.fix?.steps.join('\n')).toContain('dns:')
  })

  it('DOCKER_DNS_FAILURE: a silent 127.0.0.11 gives both verdicts within --timeout + 1 s', async () => {
    const {dns, docker, ms} = await inContainer('db.hung.test', 1000)
    expect(dns.code).toBe('DNS_TIMEOUT')
    expect(docker).toMatchObject({status: 'fail', code: 'DOCKER_DNS_FAILURE'})
    expect(docker.summary).toContain('timeout')
    expect(ms).toBeLessThan(2000)
  })

  it('DOCKER_DNS_FAILURE: a compose service name from a container without the embedded DNS (default bridge)', async () => {
    const compose = 'services:\n  app:\n    build: .\n  db:\n    image: postgres:17\n'
    const {dns, docker, facts} = await inContainer('db', STEP_BUDGET_MS, '127.0.0.53', compose)
    expect(dns.code).toBe('DNS_NOT_FOUND')
    expect(facts.docker).toMatchObject({inContainer: true, embeddedDns: false})
    expect(docker).toMatchObject({status: 'fail', code: 'DOCKER_DNS_FAILURE'})
    expect(docker.summary).toContain('without Docker')
    expect(docker.summary).toContain('a service of compose.yaml')
    expect(docker.fix?.summary).toContain('default bridge')
  })

  it('a plain NXDOMAIN from a non-Docker resolver (no compose service of that name) is the dns finding only', async () => {
    const {dns, docker} = await inContainer('dbhost', STEP_BUDGET_MS, '127.0.0.53')
    expect(dns.code).toBe('DNS_NOT_FOUND')
    expect(docker.status).toBe('pass')
    expect(docker.code).toBeNull()
  })

  it('passes when the embedded DNS resolves the host', async () => {
    const {dns, docker} = await inContainer('ok.upstream.test')
    expect(dns.status).toBe('pass')
    expect(docker.status).toBe('pass')
    expect(docker.summary).toContain("Docker's embedded DNS")
  })
})
