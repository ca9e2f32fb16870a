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
    server = await startPostgres()
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
