// explain recognises what the real migration CLIs print (knex 3.3, node-pg-migrate 9)
// when they fail against real peers: the output of the real tool is pasted as is.
import {afterAll, describe, expect, inject, it} from 'vitest'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'
import {makeApp, runTool, type App} from '../helpers/migration-tools.js'
import {freePort} from '../helpers/postgres.js'

const info = inject('pg')
const WRONG = 'wrong-canary-mt-71c2'
const apps: App[] = []
afterAll(() => apps.forEach((a) => a.cleanup()))

async function explainCodes(text: string): Promise<string[]> {
  const r = await runCli(['explain', '--json'], {input: text})
  expect(r.stdout + r.stderr).not.toContain(WRONG)
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  return JSON.parse(r.stdout).matches.map((m: {code: string | null}) => m.code)
}

function knexApp(connection: string): App {
  const app = makeApp({
    packages: ['knex', 'pg'],
    files: {
      'knexfile.js': `module.exports = {client: 'pg', connection: ${JSON.stringify(connection)}, acquireConnectionTimeout: 5000}\n`,
    },
  })
  apps.push(app)
  return app
}

describe('explain: the real knex CLI', () => {
  it('wrong password → AUTH_PASSWORD_FAILED', async () => {
    const app = knexApp(
      `postgres://${APP_USER}:${WRONG}@${info.host}:${info.port}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${info.caFile}`,
    )
    const r = await runTool(app, ['knex', 'migrate:latest'])
    expect(r.connected).toBe(false)
    expect(await explainCodes(`$ ${r.command}\n${r.stdout}\n${r.stderr}`)).toContain('AUTH_PASSWORD_FAILED')
  })

  it('a refused port → TCP_REFUSED', async () => {
    const app = knexApp(`postgres://${APP_USER}:${WRONG}@127.0.0.1:${await freePort()}/${APP_DATABASE}`)
    const r = await runTool(app, ['knex', 'migrate:latest'])
    expect(await explainCodes(`${r.stdout}\n${r.stderr}`)).toContain('TCP_REFUSED')
  })
})

describe('explain: the real knex CLI without a knexfile', () => {
  it('no knexfile the CLI looks for (only a knexfile.cjs) → CONFIG_KNEXFILE_NOT_FOUND', async () => {
    const app = makeApp({
      packages: ['knex', 'pg'],
      files: {'knexfile.cjs': "module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n"},
    })
    apps.push(app)
    const r = await runTool(app, ['knex', 'migrate:latest'])
    expect(await explainCodes(`${r.stdout}\n${r.stderr}`)).toContain('CONFIG_KNEXFILE_NOT_FOUND')
  })
})

describe('explain: the real node-pg-migrate CLI', () => {
  it('no DATABASE_URL → CONFIG_NOT_FOUND', async () => {
    const app = makeApp({packages: ['node-pg-migrate', 'pg'], files: {}})
    apps.push(app)
    const r = await runTool(app, ['node-pg-migrate', 'up'])
    expect(await explainCodes(`${r.stdout}\n${r.stderr}`)).toContain('CONFIG_NOT_FOUND')
  })

  it('a refused port → TCP_REFUSED', async () => {
    const app = makeApp({packages: ['node-pg-migrate', 'pg'], files: {}})
    apps.push(app)
    const r = await runTool(app, ['node-pg-migrate', 'up'], {
      env: {DATABASE_URL: `postgres://${APP_USER}:${WRONG}@127.0.0.1:${await freePort()}/${APP_DATABASE}`},
    })
    expect(r.stderr + r.stdout).toContain('could not connect to postgres')
    expect(await explainCodes(`${r.stdout}\n${r.stderr}`)).toContain('TCP_REFUSED')
  })
})
