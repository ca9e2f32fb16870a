import pg from 'pg'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {createCa, createLeaf} from './certs.js'
import {
  APP_DATABASE,
  APP_USER,
  CANARY_PASSWORD,
  LIMITED_USER,
  MISSING_USER,
  ONLYAPP_DATABASE,
  PG_HOST,
  SCRAM_MISSING_USER,
} from './constants.js'
import {startPostgres, startStandbyPostgres, type PgServer} from './postgres.js'

async function tryConnect(
  cfg: pg.ClientConfig,
): Promise<{ok: true; row: Record<string, unknown>} | {ok: false; code?: string; message: string}> {
  const client = new pg.Client({connectionTimeoutMillis: 5000, ...cfg})
  client.on('error', () => {})
  try {
    await client.connect()
    const {rows} = await client.query('select current_user as user, ssl from pg_stat_ssl where pid = pg_backend_pid()')
    return {ok: true, row: rows[0]}
  } catch (error) {
    const e = error as {code?: string; message: string}
    return {ok: false, code: e.code, message: e.message}
  } finally {
    await client.end().catch(() => {})
  }
}

describe('shared test PostgreSQL', () => {
  const info = inject('pg')
  const app = {host: PG_HOST, port: info.port, user: APP_USER, password: CANARY_PASSWORD, database: APP_DATABASE}

  it('admits app over verified TLS', async () => {
    const r = await tryConnect({...app, ssl: {ca: info.caPem, servername: 'localhost'}})
    expect(r).toEqual({ok: true, row: {user: 'app', ssl: true}})
  })

  it('rejects plain connections with a pg_hba "no encryption" error', async () => {
    const r = await tryConnect({...app, ssl: false})
    expect(r).toMatchObject({ok: false, code: '28000'})
    expect(r.ok || r.message).toMatch(/no pg_hba.conf entry .* no encryption/)
  })

  it('admits only app to onlyapp', async () => {
    const tlsOk = {ssl: {ca: info.caPem, servername: 'localhost'}}
    expect((await tryConnect({...app, ...tlsOk, database: ONLYAPP_DATABASE})).ok).toBe(true)
    const r = await tryConnect({...app, ...tlsOk, user: LIMITED_USER, database: ONLYAPP_DATABASE})
    expect(r).toMatchObject({ok: false, code: '28000'})
    expect(r.ok || r.message).toBe(
      'no pg_hba.conf entry for host "127.0.0.1", user "limited", database "onlyapp", SSL encryption',
    )
  })

  it('names a missing ghost_ role, and answers 28P01 for other missing roles', async () => {
    const tlsOk = {ssl: {ca: info.caPem, servername: 'localhost'}}
    expect(await tryConnect({...app, ...tlsOk, user: MISSING_USER})).toMatchObject({
      ok: false,
      code: '28000',
      message: `role "${MISSING_USER}" does not exist`,
    })
    expect(await tryConnect({...app, ...tlsOk, user: SCRAM_MISSING_USER})).toMatchObject({ok: false, code: '28P01'})
  })

  it('listens on ::1 when the machine has it', async () => {
    if (!info.hostV6) return
    expect((await tryConnect({...app, host: info.hostV6, ssl: {ca: info.caPem, servername: 'localhost'}})).ok).toBe(
      true,
    )
  })
})

describe('special servers', () => {
  const servers: PgServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
  })

  it('serves a given chain and reloads a new one', async () => {
    const ca = await createCa({commonName: 'Special CA'})
    const leaf = await createLeaf({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      issuer: ca,
    })
    const server = await startPostgres({tls: {certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem}})
    servers.push(server)
    const cfg = {host: PG_HOST, port: server.port, user: APP_USER, password: CANARY_PASSWORD, database: APP_DATABASE}
    expect((await tryConnect({...cfg, ssl: {ca: ca.certPem, servername: 'localhost'}})).ok).toBe(true)

    const ca2 = await createCa({commonName: 'Second CA'})
    const leaf2 = await createLeaf({commonName: 'localhost', dnsNames: ['localhost'], issuer: ca2})
    await server.reloadTls(leaf2.certPem, leaf2.keyPem, ca2.certPem)
    expect(server.caPem).toBe(ca2.certPem)
    const old = await tryConnect({...cfg, ssl: {ca: ca.certPem, servername: 'localhost'}})
    expect(old.ok).toBe(false)
    expect((await tryConnect({...cfg, ssl: {ca: ca2.certPem, servername: 'localhost'}})).ok).toBe(true)
  })

  it('standby answers 57P03', async () => {
    const server = await startStandbyPostgres()
    servers.push(server)
    const r = await tryConnect({
      host: PG_HOST,
      port: server.port,
      user: 'postgres',
      password: 'x',
      database: 'postgres',
    })
    expect(r).toMatchObject({ok: false, code: '57P03'})
  })
})
