// tcp and postgres checks against the real PostgreSQL of the global setup.
import {describe, expect, inject, it} from 'vitest'
import {postgresCheck} from '../../src/checks/postgres.js'
import {createTcpCheck} from '../../src/checks/tcp.js'
import type {ResolvedAddress} from '../../src/core/facts.js'
import '../helpers/postgres.js'
import {makeCtx} from '../lab/context.js'

describe('network path against a real PostgreSQL', () => {
  it('tcp passes on every loopback address it listens on, postgres answers S (TLS on offer)', async () => {
    const pg = inject('pg')
    const addresses: ResolvedAddress[] = [{address: pg.host, family: 4}]
    if (pg.hostV6) addresses.unshift({address: pg.hostV6, family: 6})
    const ctx = makeCtx({
      fields: {host: 'localhost', port: String(pg.port)},
      facts: {dns: {host: 'localhost', literal: false, addresses}},
    })
    const tcp = await createTcpCheck().run(ctx)
    expect(tcp).toMatchObject({status: 'pass', code: null})
    expect(ctx.facts.tcp!.reachable).toEqual(addresses)
    const r = await postgresCheck.run(ctx)
    expect(r).toMatchObject({status: 'pass', code: null})
    expect(ctx.facts.postgres).toEqual({address: addresses[0].address, port: pg.port, answer: 'S', offersTls: true})
  })
})
