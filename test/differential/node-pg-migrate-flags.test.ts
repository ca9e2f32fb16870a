// Differential, node-pg-migrate 9's --reject-unauthorized (issue 19): the flag in the package.json
// script becomes `ssl: {...ssl, rejectUnauthorized}` (bin/node-pg-migrate.js), an ssl object, so
// TLS is on although the URL asks for nothing. The real CLI and db-doctor run side by side.
import {describe, expect, inject, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {checkOf, reportOf} from '../helpers/cli.js'
import {appPackageJson, createScenarioDatabase, makeApp, runDoctor, runTool} from '../helpers/migration-tools.js'
import {scenarioCleanup} from '../helpers/scenario-cleanup.js'

const pg = inject('pg')
const {apps, dbs} = scenarioCleanup()

describe.concurrent('differential: node-pg-migrate --reject-unauthorized', () => {
  for (const [flag, connects] of [
    ['--reject-unauthorized false', true],
    ['--reject-unauthorized', false],
  ] as const) {
    it(`up ${flag}, URL without ssl parameters (server requires TLS, private CA): the CLI ${connects ? 'connects unverified' : 'verifies and fails'}; db-doctor agrees`, async () => {
      const db = await createScenarioDatabase(pg, `npm_ru_${connects}`)
      dbs.push(db)
      const a = makeApp({
        files: {'package.json': appPackageJson({migrate: `node-pg-migrate up ${flag}`})},
        packages: ['node-pg-migrate', 'pg'],
      })
      apps.push(a)
      const env = {DATABASE_URL: db.url(CANARY_PASSWORD)}
      const [tool, d] = await Promise.all([
        runTool(a, {script: 'migrate'}, {env, database: db}),
        runDoctor(a, ['check', '--json'], {env}),
      ])
      expect(tool.connected, `${tool.stdout}\n${tool.stderr}`).toBe(connects)
      expect(d.code === 0).toBe(connects)
      const report = reportOf(d)
      const ssl = checkOf(report, 'ssl-config')
      if (connects) {
        expect(ssl.evidence.findings).toContainEqual(expect.objectContaining({code: 'SSL_VERIFICATION_DISABLED'}))
        expect(ssl.summary).toContain('--reject-unauthorized false in package.json script "migrate"')
        expect(ssl.fix.steps.join(' ')).toContain('--reject-unauthorized false')
        expect(checkOf(report, 'auth').status).toBe('pass')
      } else {
        expect(`${tool.stdout}\n${tool.stderr}`).toMatch(/unable to verify the first certificate|self[- ]signed/)
        expect(checkOf(report, 'tls').status).toBe('fail')
      }
    })
  }
})
