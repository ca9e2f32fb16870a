// `npm run bench`, part 4: the round trips a `db-doctor check` costs the server, counted from outside by
// a relay that reads the PostgreSQL protocol (test/helpers/round-trips.ts), per scenario, against a bare
// node-postgres login (connect, `select 1`, end). Exact counts, not timings: the same on a loaded machine.
import {CANARY_PASSWORD} from '../test/helpers/constants.js'
import {runDoctor} from '../test/helpers/migration-tools.js'
import {startPostgres, type PgInfo} from '../test/helpers/postgres.js'
import {
  bareLogin,
  makeRoundTripScenario,
  startCountingRelay,
  summarize,
  type CountingRelay,
  type ScenarioName,
} from '../test/helpers/round-trips.js'

export interface RoundTripRow {
  scenario: string
  logins: number
  /** round trips after each login */
  perLogin: string
  roundTrips: number
  /** over the bare login's */
  extra: number
  statements: number
  connections: number
  verdict: string
}

async function measureDoctor(
  relay: CountingRelay,
  run: () => Promise<{stdout: string}>,
): Promise<{summary: ReturnType<typeof summarize>; verdict: string; checks: string}> {
  relay.reset()
  const res = await run()
  await relay.settled()
  let verdict: string
  let checks = ''
  try {
    const report = JSON.parse(res.stdout)
    verdict = report.summary?.verdict ?? '?'
    checks = (report.checks as {id: string; status: string}[])
      .filter((c) => ['server', 'pooler', 'privileges', 'migrations'].includes(c.id))
      .map((c) => `${c.id} ${c.status}`)
      .join(', ')
  } catch {
    verdict = 'no report'
  }
  return {summary: summarize(relay.connections()), verdict, checks}
}

/** One row of the table for a measured db-doctor run; `bare` is the bare login's round trips. */
function doctorRow(scenario: string, m: Awaited<ReturnType<typeof measureDoctor>>, bare: number): RoundTripRow {
  return {
    scenario,
    logins: m.summary.logins,
    perLogin: m.summary.perLogin.join('+'),
    roundTrips: m.summary.roundTrips,
    extra: m.summary.roundTrips - bare,
    statements: m.summary.statements,
    connections: m.summary.connections,
    verdict: m.verdict,
  }
}

export async function benchRoundTrips(opts: {pg?: PgInfo; log?: (s: string) => void} = {}): Promise<RoundTripRow[]> {
  const log = opts.log ?? (() => {})
  const owned = opts.pg ? null : await startPostgres()
  const pg = (opts.pg ?? owned!.info()) as PgInfo
  const rows: RoundTripRow[] = []
  const relay = await startCountingRelay({port: pg.port, tls: {ca: pg.caPem}})
  try {
    const scenarios: ScenarioName[] = ['url-only', 'knex', 'prisma', 'node-pg-migrate']
    let bare = 0
    for (const name of scenarios) {
      const s = await makeRoundTripScenario(pg, name, CANARY_PASSWORD)
      try {
        if (name === 'url-only') {
          relay.reset()
          await bareLogin(s.env(relay).DATABASE_URL)
          await relay.settled()
          const b = summarize(relay.connections())
          bare = b.roundTrips
          rows.push({
            scenario: 'bare node-postgres: connect, select 1, end',
            logins: b.logins,
            perLogin: b.perLogin.join('+'),
            roundTrips: b.roundTrips,
            extra: 0,
            statements: b.statements,
            connections: b.connections,
            verdict: '-',
          })
        }
        const m = await measureDoctor(relay, () => runDoctor(s.app, ['check', '--json'], {env: s.env(relay)}))
        log(`${name}: ${m.checks}`)
        rows.push(
          doctorRow(
            `db-doctor check, ${name === 'url-only' ? 'URL only (no migration tool)' : `${name} project`}`,
            m,
            bare,
          ),
        )
      } finally {
        await s.cleanup()
      }
    }
    // through a real PgBouncer in transaction mode (the knex project): the pooler check's second login
    const {pgbouncerSupport, startPgBouncer} = await import('../test/helpers/pgbouncer.js')
    const support = pgbouncerSupport()
    if (!support.ok) {
      rows.push({
        scenario: `through PgBouncer (skipped: ${support.reason})`,
        logins: 0,
        perLogin: '',
        roundTrips: 0,
        extra: 0,
        statements: 0,
        connections: 0,
        verdict: '-',
      })
    } else {
      const bouncer = await startPgBouncer({pg, poolMode: 'transaction'})
      const viaBouncer = await startCountingRelay({port: bouncer.port})
      const s = await makeRoundTripScenario(pg, 'knex', CANARY_PASSWORD)
      try {
        const m = await measureDoctor(viaBouncer, () => runDoctor(s.app, ['check', '--json'], {env: s.env(viaBouncer)}))
        log(`pgbouncer: ${m.checks}`)
        rows.push(doctorRow('db-doctor check, knex project through PgBouncer (transaction mode)', m, bare))
      } finally {
        await s.cleanup()
        await viaBouncer.close()
        await bouncer.stop()
      }
    }
  } finally {
    await relay.close()
    if (owned) await owned.stop()
  }
  return rows
}

// run alone: `npx jiti scripts/bench-round-trips.ts`
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchRoundTrips({log: (s) => console.log(s)})
  console.table(rows)
}
