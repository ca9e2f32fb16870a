// dns check against a real DNS server on loopback. The system-lookup side is
// pointed at that same server (or a second one) through an injected c-ares
// lookup so that nothing here touches the machine's resolver; the real
// getaddrinfo path is covered by test/lab/dns-system.test.ts inside namespaces.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createDnsCheck} from '../../src/checks/dns.js'
import type {Provenance} from '../../src/config/types.js'
import type {CheckOutcome} from '../../src/core/types.js'
import type {CheckContext} from '../../src/checks/types.js'
import {resolverLookup} from '../../src/probes/dns.js'
import {type DnsServer, startDnsServer} from '../lab/dns-server.mjs'

const SOURCE: Provenance = {kind: 'env-file', name: 'DATABASE_URL', file: '.env', label: 'DATABASE_URL in .env'}

function dnsCtx(host: string | undefined, dnsServers: string[], timeoutMs = 1500): CheckContext {
  return {
    config: {
      fields: host === undefined ? {} : {host: {value: host, source: SOURCE}, port: {value: '5432', source: SOURCE}},
      primary: SOURCE,
      shadowed: [],
      problems: [],
      notFound: false,
    },
    env: {},
    cwd: process.cwd(),
    options: {timeoutMs, verbose: false, dnsServers},
    facts: {},
    results: new Map(),
  }
}

let dir: string
let main: DnsServer
let other: DnsServer
let silent: DnsServer
let files: {resolvConfPath: string; hostsPath: string}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbd-dnscheck-'))
  files = {resolvConfPath: join(dir, 'resolv.conf'), hostsPath: join(dir, 'hosts')}
  writeFileSync(files.resolvConfPath, 'nameserver 127.0.0.1\n')
  writeFileSync(files.hostsPath, '127.0.0.1 localhost\n')
  main = await startDnsServer({
    zone: {
      'db.check.test': {A: ['192.0.2.10'], AAAA: ['2001:db8::10']},
      'v6.check.test': {AAAA: ['2001:db8::6']},
      'db.abcdefghijklmnop.supabase.co': {AAAA: ['2001:db8::5']},
      'broken.check.test': {rcode: 'SERVFAIL'},
      'refused.check.test': {rcode: 'REFUSED'},
      'split.check.test': {A: ['192.0.2.50']},
      'big.check.test': {A: ['192.0.2.60'], truncate: true},
    },
  })
  // a second view of the world: split horizon
  other = await startDnsServer({zone: {'split.check.test': {A: ['198.51.100.50']}}})
  silent = await startDnsServer({zone: {}})
  // every name is silent on this one
  silent.set('silent.check.test', {silent: true})
})
afterAll(async () => {
  await Promise.all([main.close(), other.close(), silent.close()])
})

function check(systemServer: DnsServer) {
  return createDnsCheck({...files, lookup: resolverLookup([`127.0.0.1:${systemServer.port}`])})
}

async function run(host: string | undefined, opts: {system?: DnsServer; direct?: DnsServer; timeoutMs?: number} = {}) {
  const direct = opts.direct ?? main
  const ctx = dnsCtx(host, [`127.0.0.1:${direct.port}`], opts.timeoutMs)
  const outcome: CheckOutcome = await check(opts.system ?? main).run(ctx)
  return {outcome, ctx}
}

describe('dns check (real DNS server on loopback)', () => {
  it('passes and records the addresses in the app order', async () => {
    const {outcome, ctx} = await run('db.check.test')
    expect(outcome).toMatchObject({status: 'pass', code: null})
    expect(outcome.summary).toContain('192.0.2.10')
    expect(ctx.facts.dns).toMatchObject({
      host: 'db.check.test',
      literal: false,
      addresses: [
        {address: '192.0.2.10', family: 4},
        {address: '2001:db8::10', family: 6},
      ],
    })
    const table = outcome.evidence.resolvers as {resolver: string; type: string; answer: string}[]
    expect(table[0]).toMatchObject({resolver: 'system (getaddrinfo)', answer: '192.0.2.10, 2001:db8::10'})
    expect(table).toContainEqual(
      expect.objectContaining({resolver: `127.0.0.1:${main.port}`, type: 'AAAA', answer: '2001:db8::10'}),
    )
  })

  it('follows a truncated answer over TCP', async () => {
    const {outcome} = await run('big.check.test')
    expect(outcome.status).toBe('pass')
    const table = outcome.evidence.resolvers as {answer: string}[]
    expect(table.some((r) => r.answer.includes('retried over TCP'))).toBe(true)
  })

  it('passes IP literals without resolving, skips sockets and missing hosts', async () => {
    const v4 = await run('192.0.2.1')
    expect(v4.outcome.status).toBe('pass')
    expect(v4.ctx.facts.dns).toEqual({host: '192.0.2.1', literal: true, addresses: [{address: '192.0.2.1', family: 4}]})
    const v6 = await run('[2001:db8::1]')
    expect(v6.ctx.facts.dns?.addresses).toEqual([{address: '2001:db8::1', family: 6}])
    const sock = await run('/var/run/postgresql')
    expect(sock.outcome.status).toBe('skip')
    expect(sock.outcome.summary).toContain('Unix socket')
    expect((await run(undefined)).outcome.status).toBe('skip')
  })

  it('DNS_NOT_FOUND: NXDOMAIN names the host and where it came from', async () => {
    const {outcome} = await run('typo.check.test')
    expect(outcome).toMatchObject({status: 'fail', code: 'DNS_NOT_FOUND'})
    expect(outcome.summary).toContain('typo.check.test')
    expect(outcome.summary).toContain('DATABASE_URL in .env')
    expect(outcome.evidence).toMatchObject({
      host: 'typo.check.test',
      source: 'DATABASE_URL in .env',
      systemError: 'ENOTFOUND',
    })
    expect(outcome.fix?.summary).toContain('DATABASE_URL in .env')
    expect(outcome.evidence.appWouldSay).toContain('Name or service not known')
  })

  it('DNS_NOT_FOUND for localhots says "did you mean localhost?", with the host rewritten where it is set', async () => {
    for (const typo of ['localhots', 'locahost', 'LOCALHOST1']) {
      const {outcome} = await run(typo)
      expect(outcome.code).toBe('DNS_NOT_FOUND')
      expect(outcome.summary).toContain('Did you mean localhost?')
      expect(outcome.fix?.summary).toMatch(/^Did you mean localhost\?/)
      expect(outcome.fix?.snippet?.code).toContain('localhost')
    }
    const far = await run('dbhost')
    expect(far.outcome.summary).not.toContain('Did you mean')
    expect(far.outcome.fix?.snippet).toBeUndefined()
  })

  it('DNS_NOT_FOUND for a stale RDS endpoint says where to copy the current one', async () => {
    const {outcome} = await run('mydb.abc123xyz.eu-west-1.rds.amazonaws.com')
    expect(outcome.code).toBe('DNS_NOT_FOUND')
    expect(outcome.fix?.steps.join('\n')).toContain('RDS console')
  })

  it('DNS_TEMPORARY_FAILURE: SERVFAIL and REFUSED name the server', async () => {
    for (const name of ['broken.check.test', 'refused.check.test']) {
      const {outcome} = await run(name)
      expect(outcome).toMatchObject({status: 'fail', code: 'DNS_TEMPORARY_FAILURE'})
      expect(outcome.summary).toContain(`127.0.0.1:${main.port}`)
      expect(outcome.summary).toMatch(/SERVFAIL|REFUSED/)
    }
  })

  it('DNS_TIMEOUT: a silent server gets a verdict within --timeout + 1 s', async () => {
    const t = performance.now()
    const {outcome} = await run('silent.check.test', {system: silent, direct: silent, timeoutMs: 800})
    expect(performance.now() - t).toBeLessThan(1800)
    expect(outcome).toMatchObject({status: 'fail', code: 'DNS_TIMEOUT'})
    expect(outcome.summary).toContain(`127.0.0.1:${silent.port}`)
  })

  it('DNS_IPV6_ONLY: AAAA only is a warning', async () => {
    const {outcome, ctx} = await run('v6.check.test')
    expect(outcome).toMatchObject({status: 'warn', code: 'DNS_IPV6_ONLY'})
    expect(outcome.summary).toMatch(/IPv4-only networks/)
    expect(ctx.facts.dns?.addresses).toEqual([{address: '2001:db8::6', family: 6}])
  })

  it('DNS_IPV6_ONLY: a Supabase direct host points at the session pooler', async () => {
    const {outcome} = await run('db.abcdefghijklmnop.supabase.co')
    expect(outcome.code).toBe('DNS_IPV6_ONLY')
    expect(outcome.fix?.steps.join('\n')).toContain('pooler.supabase.com')
    expect(outcome.fix?.snippet?.code).toContain('postgres.abcdefghijklmnop')
    // never a hard-coded aws-0: the pooler host's number and region are the project's own
    const all = JSON.stringify(outcome.fix)
    expect(all).not.toContain('aws-0')
    expect(all).toContain('aws-<N>-<region>.pooler.supabase.com')
    expect(all).toMatch(/Connect dialog/)
    expect(all).toMatch(/5432 is session mode/)
    expect(all).toMatch(/6543 is transaction mode/)
    expect(all).toMatch(/IPv4 add-on/)
    expect(outcome.fix?.snippet?.code).toBe(
      'DATABASE_URL="postgresql://postgres.abcdefghijklmnop:[YOUR-PASSWORD]@<Session pooler host from Connect>:5432/DATABASE"',
    )
  })

  it('DNS_RESOLVERS_DISAGREE: the system and the asked server answer differently (split horizon)', async () => {
    const {outcome} = await run('split.check.test', {system: other, direct: main})
    expect(outcome).toMatchObject({status: 'warn', code: 'DNS_RESOLVERS_DISAGREE'})
    expect(outcome.summary).toContain('198.51.100.50')
    expect(outcome.summary).toContain('192.0.2.50')
  })

  it('DNS_RESOLVERS_DISAGREE (fail): the system finds nothing, the asked server knows the name', async () => {
    const onlyDirect = await run('db.check.test', {system: other, direct: main})
    expect(onlyDirect.outcome).toMatchObject({status: 'fail', code: 'DNS_RESOLVERS_DISAGREE'})
    expect(onlyDirect.outcome.summary).toContain('ENOTFOUND')
  })

  it('never lets an unparsable --dns-server crash the check', async () => {
    const ctx = dnsCtx('db.check.test', ['not-an-ip', `127.0.0.1:${main.port}`])
    const outcome = await check(main).run(ctx)
    expect(outcome.status).toBe('pass')
    expect(outcome.evidence.ignoredDnsServers).toEqual(['not-an-ip'])
  })
})
