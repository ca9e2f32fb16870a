// What the differential suites (test/differential/) share: db-doctor's JSON run on an app folder with no
// secret in either stream, and the one verdict every scenario asserts — db-doctor exits 0 exactly when the
// real tool connected.
import {expect} from 'vitest'
import {reportOf} from './cli.js'
import {CANARY_PASSWORD} from './constants.js'
import {runDoctor, type App, type ToolResult} from './migration-tools.js'

/** `db-doctor check --json` on the app: the canary (raw and percent-encoded) and `secrets` in neither stream. */
export async function doctorCheck(
  a: App,
  env: Record<string, string | undefined>,
  args: string[] = [],
  secrets: string[] = [],
): Promise<{code: number | null; report: any}> {
  const r = await runDoctor(a, ['check', '--json', ...args], {env})
  for (const s of [CANARY_PASSWORD, ...secrets].flatMap((x) => [x, encodeURIComponent(x)])) {
    expect(r.stdout).not.toContain(s)
    expect(r.stderr).not.toContain(s)
  }
  return {code: r.code, report: reportOf(r)}
}

/** db-doctor exits 0 exactly when the real tool connected; a failure shows both sides. */
export function agree(tool: ToolResult, d: {code: number | null; report: any}): void {
  const why = `${tool.command}: exit ${tool.code} ${tool.errorLine ?? ''}\n${tool.stderr.slice(0, 2000)}\n${tool.stdout.slice(0, 800)}\n--- db-doctor: ${JSON.stringify(
    d.report.checks.map((c: any) => [c.id, c.status, c.code]),
  )}`
  expect(d.code === 0, why).toBe(tool.connected)
}

/** Everything the tool printed. */
export const toolOutput = (t: ToolResult) => `${t.stdout}\n${t.stderr}`
