import {once} from 'node:events'
import net from 'node:net'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {normalizePgError, openSession, pgSession, type PgSession} from '../../src/probes/pg-session.js'
import {sessionErrorText} from '../../src/catalogue/session.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {pgbouncerSupport, startPgBouncer, type PgBouncer} from '../helpers/pgbouncer.js'

const info = inject('pg')
const base = {host: PG_HOST, port: info.port, user: APP_USER, database: APP_DATABASE}
const verified = {ca: info.caPem, servername: 'localhost'}
const outputs: unknown[] = []

async function closedPort(): Promise<number> {
  const s = net.createServer().listen(0, PG_HOST)
  await once(s, 'listening')
  const {port} = s.address() as net.AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

describe('pgSession against the shared server', () => {
  afterAll(() => {
    expect(JSON.stringify(outputs)).not.toContain(CANARY_PASSWORD)
  })

  it('opens a verified TLS, read-only session and reports what it saw', async () => {
    const r = await pgSession({...base, password: CANARY_PASSWORD, ssl: verified}, {timeoutMs: 5000})
    outputs.push(r)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.serverVersion).toMatch(/^PostgreSQL \d+/)
    expect(r.user).toBe('app')
    expect(r.serverAddr).toBe('127.0.0.1')
    expect(r.readOnly).toBe(true)
    expect(r.tls?.protocol).toMatch(/^TLSv1\.[23]$/)
    expect(r.tls?.cipher).toBeTruthy()
    expect(r.rttMs).toBeGreaterThanOrEqual(0)
  })

  it('keeps the app options (and adds none) and still reads read-only', async () => {
    const r = await pgSession(
      {...base, password: CANARY_PASSWORD, ssl: verified, options: '-c search_path=public'},
      {timeoutMs: 5000},
    )
    outputs.push(r)
    expect(r).toMatchObject({ok: true, readOnly: true})
  })

  it('returns the SQLSTATE of a wrong password', async () => {
    const r = await pgSession({...base, password: 'wrong-' + CANARY_PASSWORD, ssl: verified}, {timeoutMs: 5000})
    outputs.push(r)
    expect(r).toMatchObject({ok: false, error: {code: '28P01', name: 'error', stage: 'connect', timedOut: false}})
  })

  it('returns the pg_hba rejection of a plain connection', async () => {
    const r = await pgSession({...base, password: CANARY_PASSWORD, ssl: false}, {timeoutMs: 5000})
    outputs.push(r)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('28000')
    expect(r.error.message).toMatch(
      /no pg_hba.conf entry for host "127.0.0.1", user "app", database "appdb", no encryption/,
    )
  })

  it('returns the SCRAM error when no password is configured', async () => {
    const saved = process.env.PGPASSWORD
    delete process.env.PGPASSWORD
    try {
      const r = await pgSession({...base, ssl: verified}, {timeoutMs: 5000})
      outputs.push(r)
      expect(r).toMatchObject({
        ok: false,
        error: {code: null, message: expect.stringMatching(/client password must be a string/)},
      })
    } finally {
      if (saved !== undefined) process.env.PGPASSWORD = saved
    }
  })
})

async function withSession<T>(config: Parameters<typeof openSession>[0], fn: (s: PgSession) => Promise<T>): Promise<T> {
  const r = await openSession(config, {timeoutMs: 5000})
  outputs.push(r.ok ? {...r, session: undefined} : r)
  if (!r.ok) throw new Error(`openSession failed: ${r.error.message}`)
  try {
    return await fn(r.session)
  } finally {
    await r.session.close()
  }
}

describe("openSession: db-doctor's queries are read-only whatever the app sends", () => {
  const app = {...base, password: CANARY_PASSWORD, ssl: verified}
  const settings =
    "select current_setting('transaction_read_only') as tro, current_setting('default_transaction_read_only') as dro"

  it("runs readOnly() in BEGIN READ ONLY even when the app's options turn read-only off", async () => {
    await withSession({...app, options: '-c default_transaction_read_only=off'}, async (s) => {
      const rows = await s.readOnly((q) => q(settings))
      // the session default is what the app asked for; db-doctor's transaction is read-only anyway
      expect(rows).toEqual([{tro: 'on', dro: 'off'}])
      await expect(s.readOnly((q) => q('create table dbd_should_not_exist (x int)'))).rejects.toMatchObject({
        code: '25006',
      })
      await expect(
        s.readOnly((q) =>
          q("select set_config('default_transaction_read_only', 'off', false)").then(() =>
            q('create table dbd_nope (x int)'),
          ),
        ),
      ).rejects.toMatchObject({code: '25006'})
      // the failed transactions were rolled back: the session is usable and nothing was created
      expect(
        await s.readOnly((q) => q("select to_regclass('dbd_should_not_exist') as t, to_regclass('dbd_nope') as u")),
      ).toEqual([{t: null, u: null}])
    })
  })

  it("ignores PGOPTIONS in db-doctor's environment that try to turn read-only off", async () => {
    const saved = process.env.PGOPTIONS
    process.env.PGOPTIONS = '-c default_transaction_read_only=off -c transaction_read_only=off'
    try {
      await withSession(app, async (s) => {
        expect(await s.readOnly((q) => q(settings))).toEqual([{tro: 'on', dro: 'off'}])
        await expect(s.readOnly((q) => q('create table dbd_should_not_exist (x int)'))).rejects.toMatchObject({
          code: '25006',
        })
      })
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS
      else process.env.PGOPTIONS = saved
    }
  })

  it('sends no `options` startup parameter of its own', async () => {
    await withSession(app, async (s) => {
      expect(await s.readOnly((q) => q("select current_setting('default_transaction_read_only') as dro"))).toEqual([
        {dro: 'off'},
      ])
    })
  })

  it('serializes readOnly() calls, rolls back after a failing fn, and refuses use after close()', async () => {
    const r = await openSession(app, {timeoutMs: 5000})
    if (!r.ok) throw new Error(r.error.message)
    const [a, b] = await Promise.all([
      r.session.readOnly((q) => q<{n: number}>('select 1 as n').then((rows) => rows[0]!.n)),
      r.session.readOnly((q) => q<{n: number}>('select 2 as n').then((rows) => rows[0]!.n)),
    ])
    expect([a, b]).toEqual([1, 2])
    await expect(
      r.session.readOnly(async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await r.session.readOnly((q) => q("select current_setting('transaction_read_only') as tro"))).toEqual([
      {tro: 'on'},
    ])
    await r.session.close()
    await r.session.close()
    await expect(r.session.readOnly((q) => q('select 1'))).rejects.toThrow(/closed/)
  })
})

describe.skipIf(!pgbouncerSupport().ok)('openSession through a real PgBouncer', () => {
  const app = {host: PG_HOST, user: APP_USER, password: CANARY_PASSWORD, database: APP_DATABASE, ssl: false as const}
  let tx: PgBouncer
  beforeAll(async () => {
    tx = await startPgBouncer({pg: info, poolMode: 'transaction'})
  })
  afterAll(async () => {
    await tx?.stop()
  })

  it('logs in in transaction mode, queries read-only, and leaves nothing behind for the next client', async () => {
    const r = await pgSession({...app, port: tx.port}, {timeoutMs: 5000})
    expect(r, tx.log()).toMatchObject({ok: true, user: 'app', readOnly: true, tls: null})
    // the next client of the pool (maybe the same server connection) is not read-only
    await withSession({...app, port: tx.port}, async (s) => {
      expect(await s.readOnly((q) => q("select current_setting('default_transaction_read_only') as dro"))).toEqual([
        {dro: 'off'},
      ])
    })
  })

  it('fails, like the app, only when the app itself sends `options`', async () => {
    const r = await pgSession({...app, port: tx.port, options: '-c search_path=public'}, {timeoutMs: 5000})
    expect(r).toMatchObject({
      ok: false,
      error: {code: '08P01', message: 'unsupported startup parameter: options', stage: 'connect'},
    })
  })
})

describe('pgSession against bad peers', () => {
  it('returns ECONNREFUSED from a closed port', async () => {
    const port = await closedPort()
    const r = await pgSession({host: PG_HOST, port, user: 'x', password: CANARY_PASSWORD}, {timeoutMs: 3000})
    expect(r).toMatchObject({ok: false, error: {code: 'ECONNREFUSED', timedOut: false, stage: 'connect'}})
    expect(JSON.stringify(r)).not.toContain(CANARY_PASSWORD)
  })

  it("normalizes pg's `timeout expired` from a peer that never answers", async () => {
    const sockets: net.Socket[] = []
    const server = net.createServer((s) => sockets.push(s)).listen(0, PG_HOST)
    await once(server, 'listening')
    const {port} = server.address() as net.AddressInfo
    try {
      const started = Date.now()
      const r = await pgSession(
        {host: PG_HOST, port, user: 'x', password: CANARY_PASSWORD, ssl: false},
        {timeoutMs: 400},
      )
      expect(Date.now() - started).toBeLessThan(3000)
      // pg's message and the budget it had, as data; the catalogue quotes them together
      expect(r).toMatchObject({
        ok: false,
        error: {code: 'ETIMEDOUT', timedOut: true, message: 'timeout expired', connectTimeoutMs: 400},
      })
      expect(!r.ok && sessionErrorText(r.error)).toBe('timeout expired: no ready session within 400 ms')
    } finally {
      sockets.forEach((s) => s.destroy())
      server.close()
    }
  })

  it('lowers but never raises the app connectionTimeoutMillis', async () => {
    const sockets: net.Socket[] = []
    const server = net.createServer((s) => sockets.push(s)).listen(0, PG_HOST)
    await once(server, 'listening')
    const {port} = server.address() as net.AddressInfo
    try {
      const r = await pgSession(
        {host: PG_HOST, port, user: 'x', ssl: false, connectionTimeoutMillis: 200},
        {timeoutMs: 5000},
      )
      expect(r).toMatchObject({
        ok: false,
        error: {code: 'ETIMEDOUT', message: 'timeout expired', connectTimeoutMs: 200},
      })
      expect(!r.ok && sessionErrorText(r.error)).toBe('timeout expired: no ready session within 200 ms')
    } finally {
      sockets.forEach((s) => s.destroy())
      server.close()
    }
  })
})

describe('pure helpers', () => {
  it('normalizes an AggregateError (empty message, inner codes)', () => {
    const inner1 = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), {
      code: 'ECONNREFUSED',
      address: '::1',
      port: 5432,
    })
    const inner2 = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 5432,
    })
    const agg = new AggregateError([inner1, inner2], '')
    const n = normalizePgError(agg, 'connect')
    expect(n).toEqual({
      code: 'ECONNREFUSED',
      name: 'AggregateError',
      message: 'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
      errors: [
        {code: 'ECONNREFUSED', message: 'connect ECONNREFUSED ::1:5432', address: '::1', port: 5432},
        {code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432', address: '127.0.0.1', port: 5432},
      ],
      timedOut: false,
      stage: 'connect',
    })
  })

  it('redacts URLs with passwords in messages', () => {
    const n = normalizePgError(new Error(`bad postgres://app:${CANARY_PASSWORD}@db/x`), 'connect')
    expect(n.message).not.toContain(CANARY_PASSWORD)
  })
})

describe('loadPg', () => {
  it('loads node-postgres without undici and leaves no navigator behind (fresh process)', async () => {
    const {execFileSync} = await import('node:child_process')
    const {fileURLToPath} = await import('node:url')
    const dist = fileURLToPath(new URL('../../dist/probes/pg-session.js', import.meta.url))
    const script = `
      const {loadPg} = await import(${JSON.stringify(dist)})
      const pg = await loadPg()
      console.log(JSON.stringify({
        client: typeof pg.Client,
        navigator: typeof globalThis.navigator,
        undici: process.moduleLoadList.some((m) => m.includes('undici')),
        same: (await loadPg()) === pg,
      }))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
    expect(JSON.parse(out)).toEqual({client: 'function', navigator: 'undefined', undici: false, same: true})
  })

  it('loads node-postgres once', async () => {
    const {loadPg} = await import('../../src/probes/pg-session.js')
    const pg = await loadPg()
    expect(typeof pg.Client).toBe('function')
    expect(await loadPg()).toBe(pg)
  })

  it('leaves an existing navigator alone (fresh process)', async () => {
    const {execFileSync} = await import('node:child_process')
    const {fileURLToPath} = await import('node:url')
    const dist = fileURLToPath(new URL('../../dist/probes/pg-session.js', import.meta.url))
    const script = `
      const mine = {userAgent: 'test'}
      Object.defineProperty(globalThis, 'navigator', {value: mine, configurable: true, writable: true})
      const {loadPg} = await import(${JSON.stringify(dist)})
      const pg = await loadPg()
      console.log(JSON.stringify({client: typeof pg.Client, same: globalThis.navigator === mine}))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
    expect(JSON.parse(out)).toEqual({client: 'function', same: true})
  })
})
