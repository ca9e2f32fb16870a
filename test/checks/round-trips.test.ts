// What a healthy `db-doctor check` costs the server, counted from outside (not timed): a relay that
// reads the PostgreSQL protocol (test/helpers/round-trips.ts) sits between the real CLI and the real
// server (or a real PgBouncer), and counts the round trips after the login. The session's info query
// is one; the catalog reads of server, pooler, privileges and migrations share the other
// (core/session.ts). `npm run bench` prints the same counts.
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import pg from 'pg'
import {checkOf, reportOf} from '../helpers/cli.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {runDoctor} from '../helpers/migration-tools.js'
import {xmlRows} from '../../src/checks/migrations.js'
import {pgbouncerSupport, startPgBouncer} from '../helpers/pgbouncer.js'
import {
  bareLogin,
  makeRoundTripScenario,
  startCountingRelay,
  summarize,
  type CountingRelay,
  type RoundTripScenario,
  type ScenarioName,
} from '../helpers/round-trips.js'

const info = inject('pg')
let relay: CountingRelay
const scenarios: RoundTripScenario[] = []
const outputs: string[] = []

beforeAll(async () => {
  relay = await startCountingRelay({port: info.port, tls: {ca: info.caPem}})
})

afterAll(async () => {
  await relay?.close()
  for (const s of scenarios) await s.cleanup()
  expect(outputs.join('\n')).not.toContain(CANARY_PASSWORD)
})

async function doctorThrough(r: CountingRelay, s: RoundTripScenario) {
  r.reset()
  const res = await runDoctor(s.app, ['check', '--json'], {env: s.env(r)})
  await r.settled()
  outputs.push(res.stdout, res.stderr)
  return {report: reportOf(res), counts: summarize(r.connections()), conns: r.connections(), stdout: res.stdout}
}

async function scenario(name: ScenarioName) {
  const s = await makeRoundTripScenario(info, name, CANARY_PASSWORD)
  scenarios.push(s)
  return s
}

describe('round trips of a healthy run, counted by a relay on the wire', () => {
  it('the relay counts a bare node-postgres login (connect, select 1, end) as one login and one round trip', async () => {
    const s = await scenario('url-only')
    relay.reset()
    await bareLogin(s.env(relay).DATABASE_URL)
    await relay.settled()
    expect(summarize(relay.connections())).toMatchObject({logins: 1, perLogin: [1], roundTrips: 1})
  })

  it.each(['url-only', 'knex', 'prisma', 'node-pg-migrate'] as const)(
    '%s: one login, at most 2 round trips after it (info + one catalog batch)',
    async (name) => {
      const s = await scenario(name)
      const {report, counts, conns, stdout} = await doctorThrough(relay, s)
      for (const id of ['auth', 'server', 'pooler']) expect(checkOf(report, id).status, stdout).toBe('pass')
      if (name !== 'url-only') {
        expect(checkOf(report, 'privileges').status, stdout).not.toBe('skip')
        expect(checkOf(report, 'migrations').status, stdout).toBe('pass')
      }
      expect(counts.logins, JSON.stringify(conns)).toBe(1)
      expect(counts.perLogin[0], JSON.stringify(conns)).toBeLessThanOrEqual(2)
    },
  )

  it('knex: the one catalog batch still reads the rows of the tables that exist (applied, pending)', async () => {
    const s = scenarios.find((x) => x.name === 'knex') ?? (await scenario('knex'))
    const {report, counts} = await doctorThrough(relay, s)
    expect(checkOf(report, 'migrations').evidence.tools[0]).toMatchObject({
      tool: 'knex',
      tableExists: true,
      applied: 1,
      pending: 1,
      nextPending: '002_b.js',
    })
    expect(counts.perLogin).toEqual([2])
  })

  it('a migrations table the role may not read does not cost a round trip more: the guard skips its rows, the check fails with MIGRATION_TABLE_NO_ACCESS', async () => {
    const s = await scenario('knex')
    const c = new pg.Client({
      host: info.host,
      port: info.port,
      user: info.superuser.user,
      password: info.superuser.password,
      database: s.db.name,
      ssl: {ca: info.caPem, servername: 'localhost'},
    })
    await c.connect()
    try {
      await c.query(
        `alter table knex_migrations owner to "${info.superuser.user}"; revoke all on knex_migrations from app`,
      )
    } finally {
      await c.end()
    }
    const {report, counts} = await doctorThrough(relay, s)
    // the role cannot use knex's table: the check fails (it passed with a note before MIGRATION_TABLE_NO_ACCESS)
    const migrations = checkOf(report, 'migrations')
    expect(migrations.code).toBe('MIGRATION_TABLE_NO_ACCESS')
    expect(migrations.evidence.tools[0]).toMatchObject({tool: 'knex', table: 'knex_migrations', unreadable: true})
    expect(counts).toMatchObject({logins: 1, perLogin: [2]})
  })

  it("a statement that fails anyway (a knex_migrations table knex did not make) sinks only its own check: the others' reads are sent again without it", async () => {
    const s = await scenario('knex')
    const c = new pg.Client({
      connectionString: s.env().DATABASE_URL.replace(/\?.*$/, ''),
      ssl: {ca: info.caPem, servername: 'localhost'},
    })
    await c.connect()
    try {
      await c.query('drop table knex_migrations; create table knex_migrations (id serial, title text)')
    } finally {
      await c.end()
    }
    const {report, counts, stdout} = await doctorThrough(relay, s)
    for (const id of ['auth', 'server', 'pooler', 'privileges']) expect(checkOf(report, id).status, stdout).toBe('pass')
    expect(checkOf(report, 'migrations'), stdout).toMatchObject({status: 'skip', evidence: {sqlstate: '42703'}})
    expect(checkOf(report, 'migrations').summary).toContain('column "name" does not exist')
    // the info query, the failed batch and its ROLLBACK, then each check alone
    expect(counts.logins).toBe(1)
    expect(counts.perLogin[0]).toBeGreaterThan(2)
  })

  const bouncer = pgbouncerSupport()
  it.skipIf(!bouncer.ok)(
    'through PgBouncer in transaction mode: the pooler check adds a second login of one round trip (and only there)',
    async () => {
      const b = await startPgBouncer({pg: info, poolMode: 'transaction'})
      const viaBouncer = await startCountingRelay({port: b.port})
      try {
        const s = await scenario('knex')
        const {report, counts, conns} = await doctorThrough(viaBouncer, s)
        expect(checkOf(report, 'pooler')).toMatchObject({status: 'warn', code: 'POOLER_TRANSACTION_MODE'})
        expect(checkOf(report, 'migrations').status).toBe('pass')
        expect(counts.logins, JSON.stringify(conns)).toBe(2)
        expect(counts.perLogin[0]).toBeLessThanOrEqual(2)
        expect(counts.perLogin[1]).toBe(1)
      } finally {
        await viaBouncer.close()
        await b.stop()
      }
    },
  )
})

describe('xmlRows (pure): the rows query_to_xml returns, as PostgreSQL 18 printed them', () => {
  it('unescapes values, keeps nulls apart from empty strings, and ignores what is not a row', () => {
    const xml =
      '<table xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n\n<row>\n  <name>a&lt;&amp;&gt;&#x0d;\n"\'x</name>\n  <b>true</b>\n  <n>3</n>\n  <Weird_x0020_col xsi:nil="true"/>\n</row>\n\n<row>\n  <name>ü 😀 \u0001</name>\n  <b>false</b>\n  <n xsi:nil="true"/>\n  <Weird_x0020_col></Weird_x0020_col>\n</row>\n\n</table>\n'
    expect(xmlRows(xml)).toEqual([
      {name: 'a<&>\r\n"\'x', b: 'true', n: '3', Weird_x0020_col: null},
      {name: 'ü 😀 \u0001', b: 'false', n: null, Weird_x0020_col: ''},
    ])
    expect(xmlRows(null)).toEqual([])
    expect(xmlRows('<row><a>&#x110000;&#0;</a></row>')).toEqual([{a: '\u0000'}])
  })
})
