// Vitest global setup: one initdb (the template every test server copies) and ONE shared
// PostgreSQL for the whole run, provided to tests as inject('pg'). Fails loudly if Postgres
// cannot start.
import type {TestProject} from 'vitest/node'
import {createTemplate, removeTemplate, startPostgres, type PgServer} from '../helpers/postgres.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let templateBase: string | undefined
  let server: PgServer | undefined
  try {
    const template = await createTemplate()
    templateBase = template.base
    // Workers are forked after this and inherit the environment: they copy this template.
    process.env.DBD_PG_TEMPLATE = template.base
    // Every file's sessions share this server: sampled every 20 ms in a run of the 59 files that use it, up to 15
    // client backends at once (eleven of them server-idle-drivers'). At a test server's 20 slots what was left
    // was contended: the server check's free slots and SERVER_CONNECTIONS_EXHAUSTED, which tests assert for a
    // role's CONNECTION LIMIT, came out as the server's, and a full server refuses logins (53300). With 100, the
    // role's and database's limits the tests set are what binds.
    server = await startPostgres({settings: {max_connections: 100}})
  } catch (error) {
    if (templateBase) removeTemplate(templateBase)
    throw new Error(`global setup: cannot start the test PostgreSQL: ${(error as Error).message}`, {cause: error})
  }
  project.provide('pg', server.info())
  return async () => {
    await server?.stop()
    if (templateBase) removeTemplate(templateBase)
  }
}
