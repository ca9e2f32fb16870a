// Which unencoded password characters each real client reads as written (issue 8 item 4):
// psql (libpq 15), node-postgres ({connectionString}, pg-connection-string 2.14) and knex 3.3
// (a string connection: its pinned pg-connection-string 2.6.2) each log in to a lab peer that
// records the password it receives. db-doctor's classification (checkUrlEncoding) must match:
// "breaking" exactly when node-postgres or knex receive something else, libpqBreaks exactly
// when psql does. psql runs only inside the lab: libpq takes part of a URL with an extra "@"
// for a host name and looks it up, which must never reach the machine's resolver.
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {checkUrlEncoding} from '../../src/config/connection-string.js'
import {ROOT} from '../helpers/cli.js'
import {labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[fault lab skipped] ${lab.reason}`)
const script = fileURLToPath(new URL('./password-clients-in-lab.mjs', import.meta.url))
const hasPsql = existsSync('/usr/bin/psql')

/** [label, the password as written in the URL] */
const CASES: Array<[string, string]> = [
  ['at', 'p@ss'],
  ['two-ats', 'p@ss@word'],
  ['stray-percent', 'pa%zz'],
  ['percent-at-end', 'pa%'],
  ['hash', 'pa#ss'],
  ['slash', 'pa/ss'],
  ['question', 'pa?ss'],
  ['space', 'pa ss'],
  ['quote', 'pa"ss'],
  ['backtick', 'pa`ss'],
  ['brackets', 'pa[s]s'],
  ['backslash', 'pa\\ss'],
  ['caret-pipe', 'pa^s|s'],
  ['braces', 'pa{s}s'],
  ['angles', 'pa<s>s'],
  ['colon', 'pa:ss'],
  ['non-ascii', 'päss'],
  ['sub-delims', "pa!$&'()*+,;=ss"],
]

interface Got {
  password?: string
  error?: string
}

describe.skipIf(!lab.ok || !hasPsql)(
  'unencoded password characters: psql, node-postgres and knex against a recording peer',
  () => {
    it('db-doctor calls a character breaking exactly when the Node clients misread it, and names psql exactly when libpq does', async () => {
      const cases = CASES.map(([id, pw]) => ({
        id,
        pw,
        url: `postgres://app:${pw}@127.0.0.1:5432/appdb?sslmode=disable`,
      }))
      const r = await runInLab({
        script,
        args: [JSON.stringify({root: ROOT, cases: cases.map(({id, url}) => ({id, url}))})],
        timeoutMs: 120_000,
      })
      expect(r.timedOut, r.stderr).toBe(false)
      const {results} = lastJsonLine<{results: Array<{id: string; psql: Got; pg: Got; knex: Got}>}>(r.stdout)
      const table: Record<string, {psql: boolean; pg: boolean; knex: boolean}> = {}
      for (const c of cases) {
        const row = results.find((x) => x.id === c.id)!
        const ok = (g: Got) => g.password === c.pw
        table[c.id] = {psql: ok(row.psql), pg: ok(row.pg), knex: ok(row.knex)}
        const issue = checkUrlEncoding(c.url)
        const nodeReads = ok(row.pg) && ok(row.knex)
        expect(ok(row.pg), `${c.id}: pg and knex agree`).toBe(ok(row.knex))
        if (c.id === 'colon' || c.id === 'sub-delims') {
          expect(issue, c.id).toBeNull() // allowed in the user info: nothing to report
          expect(nodeReads && ok(row.psql), `${c.id}: ${JSON.stringify(row)}`).toBe(true)
          continue
        }
        expect(issue, c.id).not.toBeNull()
        expect(issue!.breaking, `${c.id}: ${JSON.stringify(row)}`).toBe(!nodeReads)
        if (nodeReads)
          expect(issue!.libpqBreaks.length > 0, `${c.id} psql: ${JSON.stringify(row.psql)}`).toBe(!ok(row.psql))
      }
      // the facts, as measured (psql 15, pg-connection-string 2.14.1 and 2.6.2)
      expect(table.at).toEqual({psql: false, pg: true, knex: true})
      expect(table['two-ats']).toEqual({psql: false, pg: true, knex: true})
      expect(table['stray-percent']).toEqual({psql: false, pg: true, knex: true})
      expect(table.hash).toEqual({psql: true, pg: false, knex: false}) // libpq URIs have no fragment: "#" breaks only the Node clients
      expect(table.space).toEqual({psql: true, pg: true, knex: true})
      expect(table['non-ascii']).toEqual({psql: true, pg: true, knex: true})
      // libpq's reading of the extra "@": the rest of the password becomes part of the host name
      expect(results.find((x) => x.id === 'at')!.psql.error).toMatch(/could not translate host name "ss@127\.0\.0\.1"/)
      expect(results.find((x) => x.id === 'stray-percent')!.psql.error).toMatch(/invalid percent-encoded token/)
    })
  },
)
