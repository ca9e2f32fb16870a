// The comparison behind PG_TWO_SERVERS (pure): which unauthenticated answers prove two servers, which only
// suggest them, and which say nothing. The live cases are in test/lab/two-servers-lab.test.ts.
import {describe, expect, it} from 'vitest'
import {compareIdentities} from '../../src/checks/postgres.js'
import type {ServerIdentity} from '../../src/probes/pg-identity.js'

const look = (over: Partial<ServerIdentity>): ServerIdentity => ({
  address: '::1',
  family: 6,
  port: 5432,
  ssl: 'S',
  auth: 'scram',
  scram: {salt: 'c2FsdA==', iterations: 4096},
  ms: 1,
  ...over,
})

describe('compareIdentities', () => {
  it('the same SCRAM salt: one server', () => {
    expect(compareIdentities(look({}), look({address: '127.0.0.1', family: 4}))).toMatchObject({
      verdict: 'same',
      how: 'scram-salt',
    })
  })
  it('a TLS offer on one address only proves two servers (ssl is server-wide), whatever else matches', () => {
    const v = compareIdentities(look({}), look({ssl: 'N', auth: 'md5', scram: undefined}))
    expect(v).toMatchObject({verdict: 'different', certain: true})
    expect(v.differences).toEqual(['ssl', 'auth'])
  })
  it('trust on one, SCRAM on the other: likely two servers, not proven (pg_hba can differ per address)', () => {
    expect(compareIdentities(look({}), look({auth: 'ok', scram: undefined, serverVersion: '17.2'}))).toEqual({
      verdict: 'different',
      certain: false,
      differences: ['auth'],
    })
  })
  it('md5 on both (a random salt per connection): no conclusion', () => {
    const md5 = look({auth: 'md5', scram: undefined})
    expect(compareIdentities(md5, {...md5, address: '127.0.0.1'}).verdict).toBe('unknown')
  })
  it('the same error from different source lines: different builds', () => {
    const e = (line: string) =>
      look({auth: 'error', scram: undefined, error: {code: '28000', message: 'm', file: 'auth.c', line}})
    expect(compareIdentities(e('540'), e('556'))).toMatchObject({verdict: 'different', differences: ['error']})
    expect(compareIdentities(e('540'), e('540')).verdict).toBe('unknown')
  })
})
