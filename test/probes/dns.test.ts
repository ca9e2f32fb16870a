import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  type LookupFn,
  isolatedLookup,
  parseHostsFor,
  parseNsswitchHosts,
  parseResolvOptions,
  pendingSystemLookups,
  parseResolvConf,
  parseServer,
  queryDirect,
  readHostsFile,
  readResolvConf,
  readResolverSetup,
  resolverLookup,
  searchCandidates,
  systemLookup,
} from '../../src/probes/dns.js'
import {type DnsServer, startDnsServer} from '../lab/dns-server.mjs'
import {dnsEvidenceSays} from '../../src/catalogue/dns.js'

let server: DnsServer
const at = () => ({address: '127.0.0.1', port: server.port})

beforeAll(async () => {
  server = await startDnsServer({
    zone: {
      'db.probe.test': {A: ['192.0.2.10', '192.0.2.11'], AAAA: ['2001:db8::10']},
      'v6.probe.test': {AAAA: ['2001:db8::6']},
      'big.probe.test': {A: ['192.0.2.20'], truncate: true},
      'broken.probe.test': {rcode: 'SERVFAIL'},
      'refused.probe.test': {rcode: 'REFUSED'},
      'silent.probe.test': {silent: true},
    },
  })
})
afterAll(() => server.close())

describe('queryDirect', () => {
  it('gets A and AAAA records over UDP', async () => {
    const a = await queryDirect(at(), 'db.probe.test', 'A', 2000)
    expect(a).toMatchObject({
      ok: true,
      rcode: 'NOERROR',
      answers: ['192.0.2.10', '192.0.2.11'],
      transport: 'udp',
      truncated: false,
    })
    const aaaa = await queryDirect(at(), 'db.probe.test.', 'AAAA', 2000)
    expect(aaaa).toMatchObject({ok: true, rcode: 'NOERROR', answers: ['2001:db8::10']})
  })

  it('reports NODATA as NOERROR without answers, and NXDOMAIN for unknown names', async () => {
    expect(await queryDirect(at(), 'v6.probe.test', 'A', 2000)).toMatchObject({ok: true, rcode: 'NOERROR', answers: []})
    expect(await queryDirect(at(), 'nope.probe.test', 'A', 2000)).toMatchObject({
      ok: true,
      rcode: 'NXDOMAIN',
      answers: [],
    })
  })

  it('retries over TCP when the UDP answer is truncated', async () => {
    const r = await queryDirect(at(), 'big.probe.test', 'A', 2000)
    expect(r).toMatchObject({ok: true, rcode: 'NOERROR', answers: ['192.0.2.20'], truncated: true, transport: 'tcp'})
    expect(server.queries.filter((q) => q.name === 'big.probe.test').map((q) => q.transport)).toEqual(['udp', 'tcp'])
  })

  it('passes SERVFAIL and REFUSED through', async () => {
    expect(await queryDirect(at(), 'broken.probe.test', 'A', 2000)).toMatchObject({ok: true, rcode: 'SERVFAIL'})
    expect(await queryDirect(at(), 'refused.probe.test', 'AAAA', 2000)).toMatchObject({ok: true, rcode: 'REFUSED'})
  })

  it('times out within its budget on a silent server', async () => {
    const t = performance.now()
    const r = await queryDirect(at(), 'silent.probe.test', 'A', 300)
    expect(r).toMatchObject({ok: false, error: 'timeout'})
    expect(performance.now() - t).toBeLessThan(1300)
    // as the evidence words it (a server's failure detail)
    expect(!r.ok && dnsEvidenceSays.queryFailure(r.failure)).toBe(
      `no answer from 127.0.0.1:${server.port} within 300 ms`,
    )
  })
})

describe('systemLookup', () => {
  it('resolves through an injected resolver-backed lookup', async () => {
    const r = await systemLookup('db.probe.test', 2000, resolverLookup([`127.0.0.1:${server.port}`]))
    expect(r.ok && r.addresses).toEqual([
      {address: '192.0.2.10', family: 4},
      {address: '192.0.2.11', family: 4},
      {address: '2001:db8::10', family: 6},
    ])
  })

  it('maps NXDOMAIN to ENOTFOUND and SERVFAIL to EAI_AGAIN like getaddrinfo', async () => {
    const lookup = resolverLookup([`127.0.0.1:${server.port}`])
    expect(await systemLookup('nope.probe.test', 2000, lookup)).toMatchObject({ok: false, error: 'ENOTFOUND'})
    expect(await systemLookup('broken.probe.test', 2000, lookup)).toMatchObject({ok: false, error: 'EAI_AGAIN'})
  })

  it('resolves IP literals and localhost without DNS through the real dns.lookup', async () => {
    const r = await systemLookup('127.0.0.1', 2000)
    expect(r.ok && r.addresses).toEqual([{address: '127.0.0.1', family: 4}])
  })

  it('isolatedLookup answers an IP literal from a child process', async () => {
    // the budget covers a Node start-up, seconds on a loaded 2-core machine; the answer comes as soon as it is up
    const r = await systemLookup('127.0.0.1', 20_000, isolatedLookup)
    expect(r.ok && r.addresses).toEqual([{address: '127.0.0.1', family: 4}])
    expect(pendingSystemLookups()).toBe(0)
  })

  it('gives up at the budget when the lookup never calls back', async () => {
    const never: LookupFn = () => {}
    const t = performance.now()
    const r = await systemLookup('hang.probe.test', 200, never)
    expect(r).toMatchObject({ok: false, error: 'ETIMEOUT', timedOut: true})
    expect(performance.now() - t).toBeLessThan(1200)
  })
})

describe('resolv.conf and hosts', () => {
  it('parses nameservers, the search list (last wins) and ndots', () => {
    const conf = parseResolvConf(
      '# generated\nnameserver 127.0.0.11\nnameserver fe80::1%eth0\nnameserver bogus\ndomain old.example\nsearch corp.example svc.cluster.local\noptions ndots:5 timeout:2\n',
    )
    expect(conf).toEqual({
      nameservers: ['127.0.0.11', 'fe80::1%eth0'],
      search: ['corp.example', 'svc.cluster.local'],
      ndots: 5,
    })
  })

  it('orders search candidates the way libc does', () => {
    expect(searchCandidates('db', {search: ['corp.example'], ndots: 1})).toEqual(['db.corp.example.', 'db.'])
    expect(searchCandidates('db.internal', {search: ['corp.example'], ndots: 1})).toEqual([
      'db.internal.',
      'db.internal.corp.example.',
    ])
    expect(searchCandidates('db.internal', {search: ['corp.example'], ndots: 5})).toEqual([
      'db.internal.corp.example.',
      'db.internal.',
    ])
    expect(searchCandidates('db.example.com.', {search: ['corp.example'], ndots: 1})).toEqual(['db.example.com.'])
  })

  it('parses --dns-server values', () => {
    expect(parseServer('10.0.0.2')).toEqual({address: '10.0.0.2', port: 53})
    expect(parseServer('127.0.0.1:5353')).toEqual({address: '127.0.0.1', port: 5353})
    expect(parseServer('[::1]:5353')).toEqual({address: '::1', port: 5353})
    expect(parseServer('::1')).toEqual({address: '::1', port: 53})
    expect(parseServer('dns.example')).toBeNull()
  })

  it('finds a name in a hosts file, case-insensitively, ignoring comments', () => {
    const text = '127.0.0.1 localhost\n# 192.0.2.1 db\n192.0.2.5 DB db.local # comment\n2001:db8::5 db\n'
    expect(parseHostsFor(text, 'db')).toEqual({found: true, addresses: ['192.0.2.5', '2001:db8::5']})
    expect(parseHostsFor(text, 'other')).toEqual({found: false, addresses: []})
  })

  it('reads the files, tolerating missing ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbd-dns-'))
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\nsearch lan\n')
    writeFileSync(join(dir, 'hosts'), '192.0.2.9 pg.lan\n')
    expect(await readResolvConf(join(dir, 'resolv.conf'))).toMatchObject({
      nameservers: ['127.0.0.53'],
      search: ['lan'],
      readable: true,
    })
    expect(await readResolvConf(join(dir, 'missing'))).toMatchObject({nameservers: [], readable: false})
    expect(await readHostsFile('pg.lan', join(dir, 'hosts'))).toMatchObject({found: true, addresses: ['192.0.2.9']})
    expect(await readHostsFile('pg.lan', join(dir, 'missing'))).toMatchObject({found: false})
  })

  it('reads the hosts line of nsswitch.conf (actions dropped, the last line wins)', () => {
    expect(parseNsswitchHosts('passwd: files\nhosts: files dns\n')).toEqual(['files', 'dns'])
    expect(parseNsswitchHosts('hosts: files mdns4_minimal [NOTFOUND=return] dns # c\n')).toEqual([
      'files',
      'mdns4_minimal',
      'dns',
    ])
    expect(parseNsswitchHosts('passwd: files\n')).toBeNull()
  })

  it('reads the resolv.conf options that change how getaddrinfo asks', () => {
    expect(parseResolvOptions('nameserver 10.0.0.2\noptions rotate ndots:5\noptions use-vc no-aaaa\n')).toEqual({
      rotate: true,
      useVc: true,
      noAaaa: true,
    })
    expect(parseResolvOptions('options edns0 trust-ad\n')).toEqual({rotate: false, useVc: false, noAaaa: false})
  })

  it('says when the direct query cannot see the resolver setup (then getaddrinfo runs in the child)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbd-setup-'))
    const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name))
    const resolvConf = file('resolv.conf', 'nameserver 10.0.0.2\nnameserver 10.0.0.3\n')
    const plain = file('nss-plain', 'hosts: files dns myhostname\n')
    const setup = await readResolverSetup({resolvConf, nsswitch: plain}, {})
    expect(setup).toMatchObject({unseen: null, filesFirst: true, mustAnswer: 1, noAaaa: false})
    expect(setup.nameservers).toEqual([
      {address: '10.0.0.2', port: 53},
      {address: '10.0.0.3', port: 53},
    ])
    const rotate = file('resolv-rotate', 'nameserver 10.0.0.2\nnameserver 10.0.0.3\noptions rotate\n')
    expect(await readResolverSetup({resolvConf: rotate, nsswitch: plain}, {})).toMatchObject({mustAnswer: 2})
    // glibc's default without nsswitch.conf: DNS before the hosts file
    expect(await readResolverSetup({resolvConf, nsswitch: join(dir, 'none')}, {})).toMatchObject({
      unseen: null,
      filesFirst: false,
    })
    // as the dns check's evidence words it (src/catalogue/dns.ts)
    const unseen = async (r: string, n: string, env: NodeJS.ProcessEnv = {}) => {
      const why = (await readResolverSetup({resolvConf: r, nsswitch: n}, env)).unseen
      return why && dnsEvidenceSays.route(why)
    }
    expect(await unseen(resolvConf, file('nss-resolve', 'hosts: resolve [!UNAVAIL=return] files dns\n'))).toBe(
      'nsswitch.conf resolves hosts through resolve',
    )
    expect(await unseen(resolvConf, file('nss-files', 'hosts: files\n'))).toBe('nsswitch.conf does not ask DNS')
    expect(await unseen(resolvConf, plain, {RES_OPTIONS: 'use-vc'})).toMatch(/RES_OPTIONS/)
    expect(await unseen(file('resolv-vc', 'nameserver 10.0.0.2\noptions use-vc\n'), plain)).toMatch(/use-vc/)
    expect(await unseen(file('resolv-empty', 'search lan\n'), plain)).toMatch(/no nameserver/)
    expect(await unseen(join(dir, 'missing'), plain)).toMatch(/cannot be read/)
    // the hosts file answers first only when nothing but local services comes before it
    const first = async (n: string) =>
      (await readResolverSetup({resolvConf, nsswitch: file('nss-x', n)}, {})).filesFirst
    expect(await first('hosts: files mdns4_minimal [NOTFOUND=return] dns\n')).toBe(true)
    expect(await first('hosts: myhostname files dns\n')).toBe(true)
    expect(await first('hosts: files\n')).toBe(true)
    expect(await first('hosts: resolve [!UNAVAIL=return] files dns\n')).toBe(false)
    expect(await first('hosts: dns files\n')).toBe(false)
  })
})
