import {once} from 'node:events'
import net from 'node:net'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {normalizePgError, pgSession, withReadOnly} from '../../src/probes/pg.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'

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

  it('keeps the app options and adds read-only', async () => {
    const r = await pgSession({...base, password: CANARY_PASSWORD, ssl: verified, options: '-c search_path=public'}, {timeoutMs: 5000})
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
    expect(r.error.message).toMatch(/no pg_hba.conf entry for host "127.0.0.1", user "app", database "appdb", no encryption/)
  })

  it('returns the SCRAM error when no password is configured', async () => {
    const saved = process.env.PGPASSWORD
    delete process.env.PGPASSWORD
    try {
      const r = await pgSession({...base, ssl: verified}, {timeoutMs: 5000})
      outputs.push(r)
      expect(r).toMatchObject({ok: false, error: {code: null, message: expect.stringMatching(/client password must be a string/)}})
    } finally {
      if (saved !== undefined) process.env.PGPASSWORD = saved
    }
  })
})

describe('pgSession against bad peers', () => {
  it('returns ECONNREFUSED from a closed port', async () => {
    const port = await closedPort()
    const r = await pgSession({host: PG_HOST, port, user: 'x', password: CANARY_PASSWORD}, {timeoutMs: 3000})
    expect(r).toMatchObject({ok: false, error: {code: 'ECONNREFUSED', timedOut: false, stage: 'connect'}})
    expect(JSON.stringify(r)).not.toContain(CANARY_PASSWORD)
  })

  it('normalizes pg\'s `timeout expired` from a peer that never answers', async () => {
    const sockets: net.Socket[] = []
    const server = net.createServer((s) => sockets.push(s)).listen(0, PG_HOST)
    await once(server, 'listening')
    const {port} = server.address() as net.AddressInfo
    try {
      const started = Date.now()
      const r = await pgSession({host: PG_HOST, port, user: 'x', password: CANARY_PASSWORD, ssl: false}, {timeoutMs: 400})
      expect(Date.now() - started).toBeLessThan(3000)
      expect(r).toMatchObject({ok: false, error: {code: 'ETIMEDOUT', timedOut: true, message: 'timeout expired: no ready session within 400 ms'}})
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
      const r = await pgSession({host: PG_HOST, port, user: 'x', ssl: false, connectionTimeoutMillis: 200}, {timeoutMs: 5000})
      expect(r).toMatchObject({ok: false, error: {code: 'ETIMEDOUT', message: 'timeout expired: no ready session within 200 ms'}})
    } finally {
      sockets.forEach((s) => s.destroy())
      server.close()
    }
  })
})

describe('pure helpers', () => {
  it('withReadOnly merges options', () => {
    expect(withReadOnly(undefined)).toBe('-c default_transaction_read_only=on')
    expect(withReadOnly('-c search_path=x')).toBe('-c search_path=x -c default_transaction_read_only=on')
    expect(withReadOnly('-c default_transaction_read_only=off')).toBe('-c default_transaction_read_only=off')
  })

  it('normalizes an AggregateError (empty message, inner codes)', () => {
    const inner1 = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), {code: 'ECONNREFUSED', address: '::1', port: 5432})
    const inner2 = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {code: 'ECONNREFUSED', address: '127.0.0.1', port: 5432})
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
    const dist = fileURLToPath(new URL('../../dist/probes/pg.js', import.meta.url))
    const script = `
      const {loadPg} = await import(${JSON.stringify(dist)})
      const pg = loadPg()
      console.log(JSON.stringify({
        client: typeof pg.Client,
        navigator: typeof globalThis.navigator,
        undici: process.moduleLoadList.some((m) => m.includes('undici')),
        same: loadPg() === pg,
      }))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
    expect(JSON.parse(out)).toEqual({client: 'function', navigator: 'undefined', undici: false, same: true})
  })

  it('leaves an existing navigator alone', async () => {
    const {loadPg} = await import('../../src/probes/pg.js')
    const g = globalThis as {navigator?: unknown}
    const had = Object.getOwnPropertyDescriptor(g, 'navigator')
    const mine = {userAgent: 'test'}
    Object.defineProperty(g, 'navigator', {value: mine, configurable: true, writable: true})
    try {
      expect(typeof loadPg().Client).toBe('function')
      expect(g.navigator).toBe(mine)
    } finally {
      if (had) Object.defineProperty(g, 'navigator', had)
      else delete g.navigator
    }
  })
})
