// preparedStatementCarry against a real PgBouncer 1.18 (which does not carry prepared statements across
// server connections) and real PostgreSQL: what it concludes, that everything runs read-only, and that it
// leaves no prepared statement behind on the pooled server connections.
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {openSession, type PgSession} from '../../src/probes/pg-session.js'
import {preparedStatementCarry} from '../../src/probes/prepared-statements.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'
import {carryUnknownWords} from '../../src/catalogue/pooler.js'

const support = pgbouncerSupport()

describe.skipIf(!support.ok)('preparedStatementCarry', () => {
  const info = inject('pg')
  let tx: PgBouncer
  let session: PgBouncer
  beforeAll(async () => {
    ;[tx, session] = await Promise.all([startPgBouncer({pg: info}), startPgBouncer({pg: info, poolMode: 'session'})])
  })
  afterAll(async () => {
    await Promise.all([tx?.stop(), session?.stop()])
  })

  const config = (port: number, ssl?: object) => ({
    host: PG_HOST,
    port,
    user: APP_USER,
    password: CANARY_PASSWORD,
    database: APP_DATABASE,
    ...(ssl ? {ssl} : {}),
  })
  async function two(port: number, ssl?: object): Promise<[PgSession, PgSession]> {
    const a = await openSession(config(port, ssl), {timeoutMs: 5000})
    const b = await openSession(config(port, ssl), {timeoutMs: 5000})
    if (!a.ok || !b.ok) throw new Error('login failed')
    return [a.session, b.session]
  }

  it('PgBouncer 1.18, transaction mode: not carried (26000 on another server connection), and nothing is left on any pooled connection', async () => {
    const [prober, holder] = await two(tx.port)
    try {
      const r = await preparedStatementCarry(prober, holder)
      expect(r, tx.log()).toMatchObject({outcome: 'not-carried', sqlstate: '26000'})
      if (r.outcome !== 'not-carried') return
      expect(r.holderPid).toBe(r.firstPid)
      expect(r.message).toBe(`prepared statement "${r.name}" does not exist`)
    } finally {
      await Promise.all([prober.close(), holder.close()])
    }
    // three clients holding a transaction each cover every server connection the pool has opened (two)
    const clients = [0, 1, 2].map(() => new pg.Client(config(tx.port)))
    try {
      await Promise.all(clients.map((c) => c.connect()))
      await Promise.all(clients.map((c) => c.query('BEGIN READ ONLY')))
      const rows = await Promise.all(
        clients.map((c) =>
          c.query(
            "select pg_backend_pid() as pid, (select count(*)::int from pg_prepared_statements where name like 'db_doctor_probe_%') as left_over",
          ),
        ),
      )
      expect(new Set(rows.map((r) => r.rows[0].pid)).size).toBe(3)
      expect(rows.map((r) => r.rows[0].left_over)).toEqual([0, 0, 0])
      await Promise.all(clients.map((c) => c.query('ROLLBACK')))
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})))
    }
  })

  it('session mode and a direct server: the client keeps its server connection (inconclusive, never "not carried")', async () => {
    for (const [port, ssl] of [
      [session.port, undefined],
      [info.port, {ca: info.caPem, servername: 'localhost'}],
    ] as const) {
      const [prober, holder] = await two(port, ssl)
      try {
        const r = await preparedStatementCarry(prober, holder)
        expect(r).toMatchObject({outcome: 'inconclusive', why: {step: 'same-connection'}})
        if (r.outcome === 'inconclusive')
          expect(carryUnknownWords(r.why)).toBe('the second run got the same server connection')
      } finally {
        await Promise.all([prober.close(), holder.close()])
      }
    }
  })

  it('the words of an inconclusive measurement are the ones the probe used to write (catalogue/pooler.ts)', () => {
    expect(carryUnknownWords({step: 'prepare', code: '42501', message: 'permission denied'})).toBe(
      'preparing the statement failed (42501: permission denied)',
    )
    expect(carryUnknownWords({step: 'second-run', message: 'Query read timeout'})).toBe(
      'the second run failed (error: Query read timeout)',
    )
    expect(carryUnknownWords({step: 'second-session', code: '57P01', message: 'terminating'})).toBe(
      'the second session failed (57P01: terminating)',
    )
  })
})
