// Does a transaction pooler carry a client's named prepared statements across the server connections
// it hands out? (PgBouncer < 1.21, or 1.21+ with max_prepared_statements = 0: no; PgBouncer 1.21+
// with max_prepared_statements > 0: yes.) Measured with two open sessions of the app's own settings,
// every statement inside a `BEGIN READ ONLY` … `ROLLBACK` transaction:
//
//   1. `prober` prepares and runs a named statement (`select pg_backend_pid()`, a name of its own): it
//      is prepared on server connection S1, which the pooler takes back at ROLLBACK.
//   2. `holder` begins a transaction and keeps it open: the pooler hands it a server connection (S1,
//      the one just released, when it reuses the most recent one, as PgBouncer does by default).
//   3. While `holder` keeps S1, `prober` runs the same named statement again: node-postgres sends only
//      Bind/Execute (it prepared the name on this client already), and the pooler sends them to
//      another server connection. `prepared statement "…" does not exist` (26000) there: the pooler
//      does not carry prepared statements; rows from another backend: it does.
//   4. `holder`, still on S1, removes the statement (DEALLOCATE of that one name, when
//      pg_prepared_statements shows it), so nothing is left on the pooled connection; ROLLBACK.
//
// Bounded: every query has the sessions' query timeout. Never throws: the outcome is data.
import {randomBytes} from 'node:crypto'
import type {PgSession} from './pg-session.js'
import {protocolLimitOf, type ProtocolLimit} from '../core/protocol-limit.js'
import {sqlIdentifier} from '../core/sql.js'

export type PreparedCarry =
  /** 26000 on another server connection: the pooler does not carry them. */
  | {outcome: 'not-carried'; name: string; firstPid: number; holderPid: number; sqlstate: string; message: string}
  /** The second run succeeded on another backend: the pooler re-prepared it there. */
  | {outcome: 'carried'; name: string; firstPid: number; holderPid: number; secondPid: number}
  /** Nothing could be concluded (the holder got another connection, a query failed or timed out). */
  | {
      outcome: 'inconclusive'
      name: string
      why: CarryUnknown
      firstPid?: number
      holderPid?: number
      secondPid?: number
    }

/** Why nothing could be concluded (worded by catalogue/pooler.ts carryUnknownWords). */
export type CarryUnknown =
  | {step: 'same-connection'}
  /** A query failed: preparing the statement, running it the second time, or the holder's session. */
  | {
      step: 'prepare' | 'second-run' | 'second-session'
      code?: string
      message: string
      /** The limit the peer broke, when db-doctor ended the session (the message is then data). */
      protocolLimit?: ProtocolLimit
    }

function failed(step: 'prepare' | 'second-run' | 'second-session', error: unknown): CarryUnknown {
  const e = error as {code?: string; message?: string}
  const limit = protocolLimitOf(error)
  return {step, ...(e.code ? {code: e.code} : {}), message: e.message ?? '', ...(limit ? {protocolLimit: limit} : {})}
}

const TEXT = 'select pg_backend_pid() as pid'

export async function preparedStatementCarry(prober: PgSession, holder: PgSession): Promise<PreparedCarry> {
  const name = `db_doctor_probe_${randomBytes(6).toString('hex')}`
  let firstPid: number
  try {
    const rows = await prober.readOnly((q) => q<{pid: number}>(TEXT, [], {name}))
    firstPid = Number(rows[0]?.pid)
  } catch (error) {
    return {outcome: 'inconclusive', name, why: failed('prepare', error)}
  }
  try {
    return await holder.readOnly(async (q) => {
      const holderPid = Number((await q<{pid: number}>(TEXT))[0]?.pid)
      let result: PreparedCarry
      try {
        const rows = await prober.readOnly((q2) => q2<{pid: number}>(TEXT, [], {name}))
        const secondPid = Number(rows[0]?.pid)
        result =
          secondPid !== firstPid
            ? {outcome: 'carried', name, firstPid, holderPid, secondPid}
            : {
                outcome: 'inconclusive',
                name,
                why: {step: 'same-connection'},
                firstPid,
                holderPid,
                secondPid,
              }
      } catch (error) {
        const e = error as {code?: string; message?: string}
        result =
          e.code === '26000'
            ? {outcome: 'not-carried', name, firstPid, holderPid, sqlstate: e.code, message: e.message ?? ''}
            : {
                outcome: 'inconclusive',
                name,
                why: failed('second-run', error),
                firstPid,
                holderPid,
              }
      }
      if (holderPid === firstPid) {
        // the holder sits on the connection the statement was prepared on: remove it there
        const left = await q('select 1 from pg_prepared_statements where name = $1', [name])
        if (left.length) await q(`DEALLOCATE ${sqlIdentifier(name)}`)
      }
      return result
    })
  } catch (error) {
    return {outcome: 'inconclusive', name, why: failed('second-session', error), firstPid}
  }
}
