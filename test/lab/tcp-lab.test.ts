// The network path inside network namespaces: real blackholes (nft drops the
// SYNs), a dual-stack name from the lab's own /etc/hosts, the real dns, tcp and
// postgres checks, and a raw node-postgres connect to confirm that the
// Happy Eyeballs prediction matches what Node really does.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {CheckResult} from '../../src/core/types.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[fault lab skipped] ${lab.reason}`)
const hasPsql = spawnSync('psql', ['--version']).status === 0
if (lab.ok && !hasPsql)
  console.warn('[fault lab] psql not installed (apt-get install -y postgresql-client): the libpq comparison is skipped')
const script = fileURLToPath(new URL('./lab-run.mjs', import.meta.url))

const V4 = '192.0.2.10'
const V6 = '2001:db8::10'
const HOSTS = `127.0.0.1 localhost\n${V6} db.lab.test\n${V4} db.lab.test\n`
const TIMEOUT = 1000

interface LabOut {
  results: CheckResult[]
  facts: Record<string, unknown>
  totalMs: number
  pg?: {ok: boolean; reached: string | null; ms: number; error: string | null; code: string | null}
  psql?: {ok: boolean; reached: string | null; ms: number; output: string}
}

async function scenario(o: {
  blackhole?: string[]
  peer?: string
  nodeOptions?: string
  host?: string
  unreachable?: string[]
  pg?: {connectionTimeoutMillis?: number}
  connectTimeout?: number
  psql?: boolean
}): Promise<{out: LabOut; tcp: CheckResult; byId: Record<string, CheckResult>}> {
  const host = o.host ?? 'db.lab.test'
  const spec = {
    peers: o.peer ? [{kind: 'postgres', host: o.peer}] : [],
    checks: {
      ids: ['dns', 'tcp', 'postgres'],
      fields: {host, port: '5432', ...(o.connectTimeout ? {connect_timeout: String(o.connectTimeout)} : {})},
      timeoutMs: TIMEOUT,
    },
    pg: o.pg ? {host, ...o.pg} : undefined,
    psql: o.psql
      ? {
          conninfo: `host=${host} port=5432 user=lab dbname=lab sslmode=disable connect_timeout=${o.connectTimeout ?? 0}`,
        }
      : undefined,
  }
  const r = await runInLab({
    addresses: [`${V4}/24`, `${V6}/64`],
    blackhole: o.blackhole,
    unreachable: o.unreachable,
    hosts: HOSTS,
    resolvConf: '# the lab has no nameserver: names come from /etc/hosts\n',
    script,
    args: [JSON.stringify(spec)],
    env: {NODE_OPTIONS: o.nodeOptions ?? ''},
    timeoutMs: 30_000,
  })
  if (r.code !== 0) throw new Error(`lab exited ${r.code}: ${r.stderr}`)
  const out = lastJsonLine<LabOut>(r.stdout)
  const byId = Object.fromEntries(out.results.map((x) => [x.id, x]))
  return {out, tcp: byId.tcp, byId}
}

type NodeEvidence = {result: string; afterMs: number; story: string}
type PsqlEvidence = {result: string; afterMs: number}

describe.skipIf(!lab.ok)('network path in the fault lab', () => {
  it('dead IPv6, live IPv4: TCP_IPV6_FAILED, and Node really lands on IPv4 after the 250 ms attempt timeout', async () => {
    const {out, tcp, byId} = await scenario({blackhole: [V6], peer: V4, pg: {}})
    expect(byId.dns.status).toBe('pass')
    expect(tcp).toMatchObject({status: 'warn', code: 'TCP_IPV6_FAILED'})
    expect(tcp.durationMs).toBeLessThan(TIMEOUT + 1000)
    expect(tcp.summary).toContain(`2001:db8::10 (no answer within ${TIMEOUT} ms); IPv4 192.0.2.10 works`)
    const node = tcp.evidence.node as NodeEvidence
    expect(node.result).toBe('connects to 192.0.2.10')
    expect(node.afterMs).toBeGreaterThanOrEqual(250)
    // what node-postgres really did
    expect(out.pg).toMatchObject({ok: true, reached: V4})
    expect(out.pg!.ms).toBeGreaterThanOrEqual(250)
    expect(Math.abs(out.pg!.ms - node.afterMs)).toBeLessThan(400)
    expect(byId.postgres).toMatchObject({status: 'pass'})
    expect(out.facts.postgres).toMatchObject({address: V4, answer: 'N'})
  })

  it('autoselection off: Node tries only the dead IPv6 address; pg fails with "timeout expired" while psql falls through', async () => {
    const {out, tcp} = await scenario({
      blackhole: [V6],
      peer: V4,
      nodeOptions: '--no-network-family-autoselection',
      pg: {connectionTimeoutMillis: 1500},
      connectTimeout: 2,
      psql: hasPsql,
    })
    if (hasPsql) expect(out.psql).toMatchObject({ok: true, reached: V4})
    expect(tcp.code).toBe('TCP_IPV6_FAILED')
    expect(tcp.evidence.explanation).toMatch(/^psql works but your Node app does not/)
    expect((tcp.evidence.node as NodeEvidence).result).toMatch(/^fails: Error: connect ETIMEDOUT/)
    expect(out.pg).toMatchObject({ok: false, error: 'Error: timeout expired'})
    expect(out.pg!.ms).toBeGreaterThanOrEqual(1490)
  })

  it('a longer attempt timeout costs exactly that long', async () => {
    const {out, tcp} = await scenario({
      blackhole: [V6],
      peer: V4,
      nodeOptions: '--network-family-autoselection-attempt-timeout=700',
      pg: {},
    })
    const node = tcp.evidence.node as NodeEvidence
    expect(node.afterMs).toBeGreaterThanOrEqual(700)
    expect(out.pg).toMatchObject({ok: true, reached: V4})
    expect(out.pg!.ms).toBeGreaterThanOrEqual(700)
    expect(Math.abs(out.pg!.ms - node.afterMs)).toBeLessThan(400)
  })

  it('--dns-result-order=ipv4first goes straight to IPv4', async () => {
    // a long attempt timeout makes "went straight there" unmistakable even on a loaded machine
    const nodeOptions = '--dns-result-order=ipv4first --network-family-autoselection-attempt-timeout=2000'
    const {out, tcp} = await scenario({blackhole: [V6], peer: V4, nodeOptions, pg: {}})
    expect((tcp.evidence.node as NodeEvidence).afterMs).toBeLessThan(1000)
    expect(out.pg).toMatchObject({ok: true, reached: V4})
    expect(out.pg!.ms).toBeLessThan(1500)
  })

  it('dead IPv6 and refused IPv4: TCP_REFUSED, and pg fails with AggregateError [ETIMEDOUT] as predicted', async () => {
    const {out, tcp} = await scenario({blackhole: [V6], pg: {}})
    expect(tcp).toMatchObject({status: 'fail', code: 'TCP_REFUSED'})
    // nothing answers PostgreSQL near 5432 either: start it, or listen on the address the app uses — never '*'
    expect(tcp.evidence.nearbyPorts).toMatch(/^no PostgreSQL answers/)
    expect(tcp.fix!.snippet!.code).toContain(`listen_addresses = 'localhost,${V4}'`)
    expect(JSON.stringify(tcp.fix)).not.toContain("listen_addresses = '*'")
    const node = tcp.evidence.node as NodeEvidence
    expect(node.result).toBe('fails: AggregateError [ETIMEDOUT]')
    expect(out.pg).toMatchObject({ok: false, error: 'AggregateError [ETIMEDOUT]: ', code: 'ETIMEDOUT'})
    expect(Math.abs(out.pg!.ms - node.afterMs)).toBeLessThan(400)
  })

  it('every address blackholed: TCP_TIMEOUT naming both addresses and the port, within --timeout + 1 s', async () => {
    const {out, tcp, byId} = await scenario({blackhole: [V6, V4], peer: V4, pg: {connectionTimeoutMillis: 1500}})
    expect(tcp).toMatchObject({status: 'fail', code: 'TCP_TIMEOUT'})
    expect(tcp.durationMs).toBeLessThan(TIMEOUT + 1000)
    expect(tcp.summary).toContain('port 5432')
    expect(tcp.fix!.summary).toContain(`${V6}, ${V4}`)
    expect(byId.postgres.status).toBe('skip')
    expect(out.pg).toMatchObject({ok: false, error: 'Error: timeout expired'})
  })

  it('dead IPv4, live IPv6: TCP_IPV4_FAILED', async () => {
    const {out, tcp} = await scenario({blackhole: [V4], peer: V6, nodeOptions: '--dns-result-order=ipv4first', pg: {}})
    expect(tcp).toMatchObject({status: 'warn', code: 'TCP_IPV4_FAILED'})
    expect(tcp.fix!.snippet!.code).toContain('--dns-result-order=ipv6first')
    expect(out.pg).toMatchObject({ok: true, reached: V6})
    expect(Math.abs(out.pg!.ms - (tcp.evidence.node as NodeEvidence).afterMs)).toBeLessThan(400)
  })

  it('an address with no route: TCP_UNREACHABLE (ENETUNREACH), and an unreachable route (EHOSTUNREACH)', async () => {
    const noRoute = await scenario({host: '198.51.100.7'})
    expect(noRoute.tcp).toMatchObject({status: 'fail', code: 'TCP_UNREACHABLE'})
    expect(noRoute.tcp.summary).toContain('ENETUNREACH')
    expect(noRoute.tcp.durationMs).toBeLessThan(500)
    const rejected = await scenario({host: '203.0.113.7', unreachable: ['203.0.113.0/24']})
    expect(rejected.tcp).toMatchObject({code: 'TCP_UNREACHABLE'})
    expect(rejected.tcp.summary).toContain('EHOSTUNREACH')
  })

  it.skipIf(!hasPsql)(
    'psql (real libpq) waits connect_timeout on the dead IPv6 address, then lands on IPv4, as predicted',
    async () => {
      const {out, tcp} = await scenario({blackhole: [V6], peer: V4, connectTimeout: 2, psql: true})
      const psql = tcp.evidence.psql as PsqlEvidence
      expect(psql.result).toBe('connects to 192.0.2.10')
      expect(psql.afterMs).toBeGreaterThanOrEqual(2000)
      expect(out.psql).toMatchObject({ok: true, reached: V4})
      expect(out.psql!.output).toContain('(2001:db8::10), port 5432 failed: timeout expired')
      expect(Math.abs(out.psql!.ms - psql.afterMs)).toBeLessThan(600)
    },
  )
})
