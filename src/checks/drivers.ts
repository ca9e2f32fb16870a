// The app's installed PostgreSQL driver against the tool that loads it and the Node that runs it. Pure: reads what config/launch.ts found in the app's node_modules (no file
// reads here); the words are in src/catalogue/drivers.ts.
import type {ResolvedConfig} from '../config/types.js'
import {CONFIG_DRIVER_NOT_INSTALLED, CONFIG_DRIVER_TOO_OLD, driverEvidence} from '../catalogue/drivers.js'
import type {Finding} from './findings.js'
import {PG_LOADING_TOOLS as NEEDS_PG} from '../models/tools/names.js'

/** "8.0.2" → [8, 0, 2]; null for what is not a plain version. Pure. */
function versionParts(v: string | undefined): [number, number, number] | null {
  const m = /^v?(\d{1,6})\.(\d{1,6})\.(\d{1,6})/.exec(v ?? '')
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null
}

/** a < b for plain versions; false when either is not one. Pure. */
function versionBelow(a: string | undefined, b: string): boolean {
  const x = versionParts(a)
  const y = versionParts(b)
  if (!x || !y) return false
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]!
  return false
}

/** The installed tool that loads pg, with its version (the first found, in the launch's order). */
function pgTool(config: ResolvedConfig): {tool: string; version: string} | null {
  const launch = config.launch
  if (!launch) return null
  const installed = launch.installed as Record<string, string | undefined>
  const order: string[] = [...(launch.tool ? [launch.tool.tool] : []), ...launch.detected, ...NEEDS_PG]
  for (const t of order) {
    if (!(NEEDS_PG as readonly string[]).includes(t)) continue
    // sequelize-cli loads pg through sequelize
    const v = installed[t]
    if (v) return {tool: t, version: v}
  }
  return null
}

/** Findings of the config check about the driver (files only). `node`: the Node version running the tool. */
export function driverFindings(config: ResolvedConfig, node: string): Finding[] {
  const installed = config.launch?.installed
  if (!installed) return []
  const tool = pgTool(config)
  const out: Finding[] = []
  if (!installed.pg) {
    if (tool) {
      out.push(
        CONFIG_DRIVER_NOT_INSTALLED.finding(
          {tool: tool.tool, toolVersion: tool.version, driver: 'pg'},
          {tool: `${tool.tool} ${tool.version}`, pg: driverEvidence.notInstalled()},
        ),
      )
    }
    return out
  }
  const nodeMajor = versionParts(node)?.[0] ?? 0
  if (nodeMajor >= 14 && versionBelow(installed.pg, '8.0.3')) {
    out.push(
      CONFIG_DRIVER_TOO_OLD.finding(
        {
          driver: 'pg',
          version: installed.pg,
          node,
          tool: tool?.tool ?? null,
          // SCRAM-SHA-256 arrived in pg 7.9.0 (node-postgres CHANGELOG, PR #1835)
          noScram: versionBelow(installed.pg, '7.9.0'),
        },
        {
          pg: installed.pg,
          node,
          ...(tool ? {tool: `${tool.tool} ${tool.version}`} : {}),
          modelled: driverEvidence.modelled(),
        },
      ),
    )
  }
  return out
}
