// The apps and scenario databases a test file makes (test/helpers/migration-tools.ts), removed after
// all its tests. Kept apart from migration-tools.ts, which the bench imports outside vitest.
import {afterAll} from 'vitest'
import {createScenarioDatabase, type App, type ScenarioDatabase} from './migration-tools.js'

type Server = Parameters<typeof createScenarioDatabase>[0]

/**
 * Push what a test makes into `apps` / `dbs`. Call once at the top level of a test file. With the test
 * server, `scenario(label)` makes a scenario database that is dropped with the rest.
 */
export function scenarioCleanup(pg?: Server): {
  apps: App[]
  dbs: ScenarioDatabase[]
  scenario(label: string): Promise<ScenarioDatabase>
} {
  const apps: App[] = []
  const dbs: ScenarioDatabase[] = []
  afterAll(async () => {
    for (const a of apps) a.cleanup()
    for (const d of dbs) await d.drop().catch(() => {})
  })
  const scenario = async (label: string): Promise<ScenarioDatabase> => {
    if (!pg) throw new Error('scenarioCleanup(pg): pass the test server to make scenario databases')
    const db = await createScenarioDatabase(pg, label)
    dbs.push(db)
    return db
  }
  return {apps, dbs, scenario}
}
