// The apps and scenario databases a test file makes (test/helpers/migration-tools.ts), removed after
// all its tests. Kept apart from migration-tools.ts, which the bench imports outside vitest.
import {afterAll} from 'vitest'
import type {App, ScenarioDatabase} from './migration-tools.js'

/** Push what a test makes into `apps` / `dbs`. Call once at the top level of a test file. */
export function scenarioCleanup(): {apps: App[]; dbs: ScenarioDatabase[]} {
  const apps: App[] = []
  const dbs: ScenarioDatabase[] = []
  afterAll(async () => {
    for (const a of apps) a.cleanup()
    for (const d of dbs) await d.drop().catch(() => {})
  })
  return {apps, dbs}
}
