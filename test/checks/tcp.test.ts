// tcp check against real peers on loopback. Blackholes (timeouts, dead IPv6)
// live in test/lab/tcp-lab.test.ts, inside network namespaces.
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {probeTcp} from '../../src/probes/tcp.js'
import {createTcpCheck} from '../../src/checks/tcp.js'
import type {NodeDefaults} from '../../src/network/happy-eyeballs.js'
import {makeCtx} from '../lab/context.js'
import {type Peer, refusingPort, silentPeer} from '../lab/peers.mjs'

const NODE20: NodeDefaults = {
  autoSelectFamily: true,
  attemptTimeoutMs: 250,
  dnsOrder: 'verbatim',
  label: 'Node 20 default',
}
const check = createTcpCheck({nodeDefaults: NODE20, synRetries: 6})
let up: Peer
let down: Peer
beforeAll(async () => {
  up = await silentPeer('127.0.0.1')
  down = await refusingPort('127.0.0.1')
})
afterAll(async () => {
  await up.close()
})

const dns = (addresses: {address: string; family: 4 | 6}[], host = 'db.local.test') => ({
  host,
  literal: false,
  addresses,
})

describe('tcp check on loopback', () => {
  it('passes and records the reachable addresses', async () => {
    const ctx = makeCtx({
      fields: {host: '127.0.0.1', port: String(up.port)},
      facts: {dns: {host: '127.0.0.1', literal: true, addresses: [{address: '127.0.0.1', family: 4}]}},
    })
    const r = await check.run(ctx)
    expect(r).toMatchObject({status: 'pass', code: null})
    expect(r.summary).toMatch(/^Connected to 127\.0\.0\.1 port \d+ in \d+ ms\.$/)
    expect(ctx.facts.tcp).toMatchObject({port: up.port, reachable: [{address: '127.0.0.1', family: 4}]})
  })

  it('TCP_REFUSED names the port and where it came from', async () => {
    const ctx = makeCtx({
      fields: {host: 'localhost', port: String(down.port)},
      labels: {port: 'DB_PORT in .env'},
      facts: {dns: dns([{address: '127.0.0.1', family: 4}], 'localhost')},
    })
    const r = await check.run(ctx)
    expect(r).toMatchObject({status: 'fail', code: 'TCP_REFUSED'})
    expect(r.fix!.summary).toContain('port ← DB_PORT in .env')
    expect(JSON.stringify(r.fix)).not.toContain('listen_addresses')
    expect(r.fix!.snippet).toEqual({language: 'bash', code: `pg_isready -h localhost -p ${down.port}`})
    expect(r.evidence.attempts).toEqual([
      expect.objectContaining({address: '127.0.0.1', family: 'IPv4', outcome: 'refused'}),
    ])
    expect(ctx.facts.tcp!.reachable).toEqual([])
  })

  it('TCP_REFUSED: the test PostgreSQL on a nearby port of the same host is found by a real probe and is the first fix', async () => {
    const pg = inject('pg')
    const port = pg.port + 1
    expect((await probeTcp({address: pg.host, family: 4}, port, 500)).outcome).toBe('refused')
    const ctx = makeCtx({
      fields: {host: 'localhost', port: String(port)},
      labels: {port: 'DB_PORT in .env'},
      facts: {dns: dns([{address: pg.host, family: 4}], 'localhost')},
    })
    const r = await check.run(ctx)
    expect(r).toMatchObject({status: 'fail', code: 'TCP_REFUSED'})
    expect(r.summary).toContain(`A PostgreSQL server answers on port ${pg.port} of the same host.`)
    expect(r.fix!.summary).toContain(`connect to port ${pg.port} (port ← DB_PORT in .env)`)
    expect(r.fix!.snippet!.code).toContain(String(pg.port))
    expect(JSON.stringify(r.fix)).not.toContain('listen_addresses')
    expect(ctx.facts.tcp!.nearby).toEqual([{address: pg.host, family: 4, port: pg.port, answer: 'S'}])
  })

  it('TCP_REFUSED wins over other failures: a refusal proves the host is there', async () => {
    const ctx = makeCtx({
      fields: {host: 'db.local.test', port: String(down.port)},
      facts: {
        dns: dns([
          {address: '127.0.0.1', family: 4},
          {address: '127.0.0.9', family: 4},
        ]),
      },
    })
    const r = await check.run(ctx)
    expect(r.code).toBe('TCP_REFUSED')
  })

  it('TCP_IPV6_FAILED when ::1 refuses and 127.0.0.1 accepts, with the Node prediction', async () => {
    const ctx = makeCtx({
      fields: {host: 'db.local.test', port: String(up.port)},
      facts: {
        dns: dns([
          {address: '::1', family: 6},
          {address: '127.0.0.1', family: 4},
        ]),
      },
    })
    const r = await check.run(ctx)
    expect(r).toMatchObject({status: 'warn', code: 'TCP_IPV6_FAILED'})
    expect(r.summary).toMatch(/IPv6 fails on port \d+: ::1 \((refused|unreachable, \w+)\); IPv4 127\.0\.0\.1 works\./)
    expect(r.summary).toContain('Happy Eyeballs')
    expect(r.fix!.snippet!.code).toContain('--dns-result-order=ipv4first')
    expect(r.fix!.steps.join('\n')).toMatch(/certificate/)
    expect(ctx.facts.tcp!.reachable).toEqual([{address: '127.0.0.1', family: 4}])
  })

  it('TCP_SOME_ADDRESSES_FAILED when one IPv4 address of several is dead and the other family works', async () => {
    const ctx = makeCtx({
      fields: {host: 'db.local.test', port: String(up.port)},
      facts: {
        dns: dns([
          {address: '127.0.0.1', family: 4},
          {address: '127.0.0.9', family: 4},
          {address: '::ffff:127.0.0.1', family: 6},
        ]),
      },
    })
    const r = await check.run(ctx)
    expect(r).toMatchObject({status: 'warn', code: 'TCP_SOME_ADDRESSES_FAILED'})
  })

  it('TCP_PORT_INVALID for a port that is not a number', async () => {
    const r = await check.run(makeCtx({fields: {host: '127.0.0.1', port: '54x32'}, labels: {port: 'DB_PORT in .env'}}))
    expect(r).toMatchObject({status: 'fail', code: 'TCP_PORT_INVALID'})
    expect(r.fix!.summary).toContain('port ← DB_PORT in .env')
  })

  it('without the dns check: connects to an IP literal, skips a name', async () => {
    const lit = await check.run(makeCtx({fields: {host: '127.0.0.1', port: String(up.port)}}))
    expect(lit.status).toBe('pass')
    const name = await check.run(makeCtx({fields: {host: 'db.local.test', port: String(up.port)}}))
    expect(name).toMatchObject({status: 'skip'})
    expect(name.summary).toContain('dns check did not run')
    const sock = await check.run(makeCtx({fields: {host: '/var/run/postgresql'}}))
    expect(sock.summary).toContain('Unix socket')
  })
})
