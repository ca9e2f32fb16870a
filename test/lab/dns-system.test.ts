// The dns check with the REAL system resolver (getaddrinfo) inside a lab
// namespace: /etc/resolv.conf points at the fault-lab DNS server on
// 127.0.0.53:53 inside the namespace and /etc/hosts is the test's own.
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {CheckResult} from '../../src/core/types.js'
import type {DnsFacts} from '../../src/core/facts.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'
import type {Zone} from './dns-server.mjs'

const lab = labSupport()
if (!lab.ok) console.warn(`[dns lab tests skipped] ${lab.reason}`)
const script = fileURLToPath(new URL('./dns-lab.mjs', import.meta.url))

const ZONE: Zone = {
  'db.lab.test': {A: ['192.0.2.10'], AAAA: ['2001:db8::10']},
  'db.corp.example': {A: ['192.0.2.30']},
  'v6.lab.test': {AAAA: ['2001:db8::6']},
  'hosted.lab.test': {A: ['192.0.2.77']},
  'broken.lab.test': {rcode: 'SERVFAIL'},
  'silent.lab.test': {silent: true},
}

interface LabOut {
  results: CheckResult[]
  facts: {dns?: DnsFacts}
  ms: number
}

/**
 * The step budget of every test that is not about the budget itself: getaddrinfo may run in a child process (a
 * SERVFAIL, an nsswitch module, isolatedLookup), a Node start-up that takes seconds on a loaded 2-core machine, not
 * the 1.5 s these tests once gave it. A prompt answer does not wait for it, so it costs nothing when all is well.
 */
const CHILD_BUDGET_MS = 8000
/**
 * For the tests that a silent nameserver must not hold the process: glibc at its slowest (30 s × 2 attempts), so a
 * lookup left running in-process would hold the exit a minute, far outside any bound a loaded machine needs.
 */
const SLOW_GLIBC = 'nameserver 127.0.0.53\noptions timeout:30 attempts:2\n'
/** A whole lab run (namespace, nft, Node start-up, the DNS server, the check) on a loaded machine; glibc would hold 60 s. */
const LAB_RUN_BOUND_MS = 20_000

async function dnsInLab(opts: {
  host: string
  hosts?: string
  resolvConf?: string
  addresses?: string[]
  timeoutMs?: number
  disableIpv6?: boolean
  isolated?: boolean
  nsswitch?: string
}) {
  const timeoutMs = opts.timeoutMs ?? CHILD_BUDGET_MS
  const r = await runInLab({
    addresses: opts.addresses ?? ['192.0.2.1/24', '2001:db8::1/64'],
    hosts: opts.hosts ?? '127.0.0.1 localhost\n::1 localhost\n',
    resolvConf: opts.resolvConf ?? 'nameserver 127.0.0.53\n',
    script,
    args: [
      JSON.stringify({
        servers: [{host: '127.0.0.53', port: 53, zone: ZONE}],
        host: opts.host,
        timeoutMs,
        checks: ['dns'],
        disableIpv6: opts.disableIpv6,
        isolated: opts.isolated,
        nsswitch: opts.nsswitch,
      }),
    ],
    timeoutMs: 40_000,
  })
  if (r.code !== 0) throw new Error(`lab script failed (${r.code}): ${r.stderr}`)
  const out = lastJsonLine<LabOut>(r.stdout)
  return {...out, dns: out.results[0]}
}

describe.skipIf(!lab.ok)('dns check with the system resolver (namespace)', () => {
  it('passes a dual-stack name and keeps getaddrinfo order', async () => {
    const {dns, facts} = await dnsInLab({host: 'db.lab.test'})
    expect(dns).toMatchObject({status: 'pass', code: null})
    expect(facts.dns?.addresses.map((a) => a.address).sort()).toEqual(['192.0.2.10', '2001:db8::10'])
    expect(facts.dns?.servers).toEqual([{server: '127.0.0.53', rcode: 'NOERROR'}])
  })

  it('reports how the search list rewrote a short name', async () => {
    const {dns, facts} = await dnsInLab({host: 'db', resolvConf: 'nameserver 127.0.0.53\nsearch corp.example\n'})
    expect(dns.status).toBe('pass')
    expect(dns.summary).toContain('the short name `db` was tried as `db.corp.example.`')
    expect(facts.dns?.addresses).toEqual([{address: '192.0.2.30', family: 4}])
    expect(facts.dns?.searchedAs).toBe('db.corp.example.')
  })

  it('a name only in /etc/hosts passes with a note', async () => {
    const {dns, facts} = await dnsInLab({
      host: 'pg.hostsonly.test',
      hosts: '127.0.0.1 localhost\n192.0.2.40 pg.hostsonly.test\n',
    })
    expect(dns.status).toBe('pass')
    expect(dns.summary).toContain('from /etc/hosts')
    expect(dns.summary).toContain('DNS has no record')
    expect(facts.dns?.fromHostsFile).toBe(true)
  })

  it('DNS_RESOLVERS_DISAGREE: /etc/hosts overrides what DNS says', async () => {
    const {dns} = await dnsInLab({host: 'hosted.lab.test', hosts: '127.0.0.1 localhost\n192.0.2.99 hosted.lab.test\n'})
    expect(dns).toMatchObject({status: 'warn', code: 'DNS_RESOLVERS_DISAGREE'})
    expect(dns.summary).toContain('192.0.2.99')
    expect(dns.summary).toContain('192.0.2.77')
    expect(dns.summary).toContain('/etc/hosts overrides DNS')
    expect(dns.fix?.steps[0]).toContain('/etc/hosts')
  })

  it('DNS_NOT_FOUND from getaddrinfo ENOTFOUND', async () => {
    const {dns} = await dnsInLab({host: 'typo.lab.test'})
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_NOT_FOUND'})
    expect(dns.evidence).toMatchObject({systemError: 'ENOTFOUND', source: 'DATABASE_URL (environment)'})
    expect(dns.summary).toContain('NXDOMAIN')
  })

  it('DNS_TEMPORARY_FAILURE from getaddrinfo EAI_AGAIN (SERVFAIL)', async () => {
    const {dns} = await dnsInLab({host: 'broken.lab.test'})
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_TEMPORARY_FAILURE'})
    expect(dns.evidence).toMatchObject({systemError: 'EAI_AGAIN'})
    expect(dns.summary).toContain('127.0.0.53 (SERVFAIL)')
  })

  it('DNS_TIMEOUT: a silent resolver gets a verdict within --timeout + 1 s', async () => {
    // glibc's own timeout (3 s) outlasts --timeout; the process exit still waits for it
    const {dns, ms} = await dnsInLab({
      host: 'silent.lab.test',
      timeoutMs: 1000,
      resolvConf: 'nameserver 127.0.0.53\noptions timeout:3 attempts:1\n',
    })
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_TIMEOUT'})
    expect(dns.summary).toContain('127.0.0.53')
    expect(ms).toBeLessThan(2000)
  })

  it('a name the nameserver answers promptly: getaddrinfo runs in-process, with the same answer', async () => {
    const {dns, facts} = await dnsInLab({host: 'db.lab.test'})
    expect(dns.evidence).toMatchObject({systemLookup: {ranIn: 'db-doctor', why: '127.0.0.53 answered promptly'}})
    expect(facts.dns?.addresses.map((a) => a.address).sort()).toEqual(['192.0.2.10', '2001:db8::10'])
    // NXDOMAIN is a prompt, clean answer too: getaddrinfo's ENOTFOUND comes from this process
    const missing = await dnsInLab({host: 'typo.lab.test'})
    expect(missing.dns).toMatchObject({code: 'DNS_NOT_FOUND', evidence: {systemLookup: {ranIn: 'db-doctor'}}})
  })

  it('a silent nameserver: getaddrinfo goes to the child, the verdict comes within the budget and nothing holds the exit', async () => {
    // glibc set to 30 s × 2 attempts: an in-process lookup would keep node alive a minute
    const started = performance.now()
    const {dns, ms} = await dnsInLab({host: 'silent.lab.test', timeoutMs: 1000, resolvConf: SLOW_GLIBC})
    expect(dns).toMatchObject({code: 'DNS_TIMEOUT', evidence: {systemLookup: {ranIn: 'child process'}}})
    expect(ms).toBeLessThan(2000)
    expect(performance.now() - started).toBeLessThan(LAB_RUN_BOUND_MS)
  })

  it('a SERVFAIL goes to the child (getaddrinfo would ask the next server), with the same verdict', async () => {
    const {dns} = await dnsInLab({host: 'broken.lab.test'})
    expect(dns).toMatchObject({code: 'DNS_TEMPORARY_FAILURE', evidence: {systemLookup: {ranIn: 'child process'}}})
  })

  it('a name in /etc/hosts (read before DNS) resolves in-process even when the nameserver is silent', async () => {
    const started = performance.now()
    const {dns, facts} = await dnsInLab({
      host: 'silent.lab.test',
      timeoutMs: 1000,
      hosts: '127.0.0.1 localhost\n192.0.2.41 silent.lab.test\n',
      resolvConf: SLOW_GLIBC,
    })
    expect(dns.status).toBe('pass')
    expect(dns.evidence).toMatchObject({systemLookup: {ranIn: 'db-doctor'}})
    expect(facts.dns?.addresses).toEqual([{address: '192.0.2.41', family: 4}])
    expect(performance.now() - started).toBeLessThan(LAB_RUN_BOUND_MS)
  })

  it('no nameserver at all, or a module after files: a name in /etc/hosts still resolves in-process', async () => {
    const hosts = '127.0.0.1 localhost\n192.0.2.41 only.lab.test\n'
    const bare = await dnsInLab({host: 'only.lab.test', hosts, resolvConf: '# no nameserver\n'})
    expect(bare.dns.status).toBe('pass')
    expect(bare.dns.evidence).toMatchObject({
      systemLookup: {ranIn: 'db-doctor', why: 'the name is in the hosts file, which is read before DNS'},
    })
    const mdns = await dnsInLab({
      host: 'only.lab.test',
      hosts,
      nsswitch: 'passwd: files\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n',
    })
    expect(mdns.dns.evidence).toMatchObject({systemLookup: {ranIn: 'db-doctor'}})
    expect(mdns.facts.dns?.addresses).toEqual([{address: '192.0.2.41', family: 4}])
  })

  it('a resolver setup the direct query cannot see (an nsswitch module): getaddrinfo runs in the child', async () => {
    const {dns, facts} = await dnsInLab({
      host: 'db.lab.test',
      nsswitch: 'passwd: files\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n',
    })
    expect(dns.status).toBe('pass')
    expect(dns.evidence).toMatchObject({
      systemLookup: {ranIn: 'child process', why: 'nsswitch.conf resolves hosts through mdns4_minimal'},
    })
    expect(facts.dns?.addresses.map((a) => a.address).sort()).toEqual(['192.0.2.10', '2001:db8::10'])
  })

  it('isolatedLookup: the same getaddrinfo answer from a child process', async () => {
    const {dns, facts} = await dnsInLab({host: 'db.lab.test', isolated: true})
    expect(dns.status).toBe('pass')
    expect(facts.dns?.addresses.map((a) => a.address).sort()).toEqual(['192.0.2.10', '2001:db8::10'])
    const missing = await dnsInLab({host: 'typo.lab.test', isolated: true})
    expect(missing.dns).toMatchObject({code: 'DNS_NOT_FOUND', evidence: {systemError: 'ENOTFOUND'}})
  })

  it('isolatedLookup: a silent resolver no longer holds the process at exit', async () => {
    // glibc set to 30 s × 2 attempts: the in-process lookup would keep node alive a minute
    const started = performance.now()
    const {dns, ms} = await dnsInLab({host: 'silent.lab.test', timeoutMs: 1000, isolated: true, resolvConf: SLOW_GLIBC})
    expect(dns.code).toBe('DNS_TIMEOUT')
    expect(ms).toBeLessThan(2000)
    expect(performance.now() - started).toBeLessThan(LAB_RUN_BOUND_MS)
  })

  it('DNS_IPV6_ONLY (warn): resolves, but only to IPv6', async () => {
    const {dns, facts} = await dnsInLab({host: 'v6.lab.test'})
    expect(dns).toMatchObject({status: 'warn', code: 'DNS_IPV6_ONLY'})
    expect(facts.dns?.addresses).toEqual([{address: '2001:db8::6', family: 6}])
  })

  it('DNS_IPV6_ONLY (fail): an IPv4-only machine gets ENOTFOUND for an AAAA-only name', async () => {
    const {dns} = await dnsInLab({host: 'v6.lab.test', addresses: ['192.0.2.1/24'], disableIpv6: true})
    expect(dns).toMatchObject({status: 'fail', code: 'DNS_IPV6_ONLY'})
    expect(dns.evidence).toMatchObject({systemError: 'ENOTFOUND'})
  })
})
