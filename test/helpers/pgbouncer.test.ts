import {existsSync} from 'node:fs'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from './constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from './pgbouncer.js'

const support = pgbouncerSupport()

async function tryConnect(cfg: pg.ClientConfig) {
  const client = new pg.Client({connectionTimeoutMillis: 10_000, ...cfg})
  client.on('error', () => {})
  try {
    await client.connect()
    const {rows} = await client.query(
      "select current_user as user, current_setting('transaction_read_only') as ro, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as server_ssl",
    )
    return {ok: true as const, row: rows[0] as Record<string, unknown>}
  } catch (error) {
    const e = error as {code?: string; message: string}
    return {ok: false as const, code: e.code, message: e.message}
  } finally {
    await client.end().catch(() => {})
  }
}

describe.skipIf(!support.ok)('PgBouncer harness (real /usr/sbin/pgbouncer)', () => {
  const info = inject('pg')
  const app = {host: PG_HOST, user: APP_USER, password: CANARY_PASSWORD, database: APP_DATABASE}
  let tx: PgBouncer
  let session: PgBouncer
  beforeAll(async () => {
    ;[tx, session] = await Promise.all([
      startPgBouncer({pg: info, poolMode: 'transaction'}),
      startPgBouncer({pg: info, poolMode: 'session', clientTls: 'require'}),
    ])
  })
  afterAll(async () => {
    await Promise.all([tx?.stop(), session?.stop()])
  })

  it('admits app with SCRAM in transaction mode, and reaches the server over TLS', async () => {
    const r = await tryConnect({...app, port: tx.port, ssl: false})
    expect(r, tx.log()).toEqual({ok: true, row: {user: 'app', ro: 'off', server_ssl: true}})
  })

  it('admits app over client TLS in session mode, verified against the test CA', async () => {
    const r = await tryConnect({...app, port: session.port, ssl: {ca: session.caPem, servername: 'localhost'}})
    expect(r, session.log()).toEqual({ok: true, row: {user: 'app', ro: 'off', server_ssl: true}})
    expect((await tryConnect({...app, port: session.port, ssl: false})).ok).toBe(false)
  })

  it('refuses a wrong password', async () => {
    const r = await tryConnect({...app, port: tx.port, password: 'not-the-password'})
    expect(r).toMatchObject({ok: false, code: '08P01'})
    expect(r.ok || r.message).toMatch(/SASL authentication failed/)
  })

  it('refuses the startup parameter `options` (PgBouncer 1.18) unless told to ignore it', async () => {
    const r = await tryConnect({...app, port: tx.port, options: '-c default_transaction_read_only=on'})
    expect(r).toMatchObject({ok: false, code: '08P01', message: 'unsupported startup parameter: options'})
    const lenient = await startPgBouncer({pg: info, ignoreStartupParameters: ['options']})
    try {
      expect((await tryConnect({...app, port: lenient.port, options: '-c default_transaction_read_only=on'})).ok).toBe(
        true,
      )
    } finally {
      await lenient.stop()
    }
  })

  it('stop() ends PgBouncer and removes its files', async () => {
    const b = await startPgBouncer({pg: info})
    expect(existsSync(b.dir)).toBe(true)
    await b.stop()
    await b.stop()
    expect((await tryConnect({...app, port: b.port})).ok).toBe(false)
    expect(existsSync(b.dir)).toBe(false)
  })
})
