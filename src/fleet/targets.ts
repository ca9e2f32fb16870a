// Where the targets of a multi-target run come from: a --targets file (one connection per
// line, or JSON lines with a name each) and every environment of the knexfile (--all-envs).
// The file holds passwords: each one is registered with the redactor as soon as it is read.
import {loadAppModule} from '../config/sources/app-module.js'
import {findSequelizeProject, sequelizeEnvironments} from '../config/sources/sequelize-cli.js'
import fs from 'node:fs'
import path from 'node:path'
import {FileReadError, readRegularTextFile} from '../core/files.js'
import {usageSays} from '../catalogue/usage.js'
import {findKnexfile, KnexEnvironmentMissing, loadKnexConfig} from '../config/sources/knexfile.js'
import type {FleetTarget} from './index.js'
import {redactor} from '../core/redact.js'
import {sourceWords} from '../catalogue/app-files.js'

/** A --targets file larger than this is refused (a fleet list is a few KB). */
const TARGETS_FILE_MAX_BYTES = 1024 * 1024

/** A --targets file that cannot be used; the message names the file and line, never its content. */
export class TargetsFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TargetsFileError'
  }
}

export function readTargetsFile(file: string, cwd: string): FleetTarget[] {
  let text: string
  try {
    text = readRegularTextFile(path.resolve(cwd, file), TARGETS_FILE_MAX_BYTES)
  } catch (error) {
    if (error instanceof FileReadError)
      throw new TargetsFileError(usageSays.targetsUnreadable({file, reason: error.reason}))
    throw error
  }
  return parseTargets(text, file)
}

/**
 * One target per line: a URL or key=value string, or a JSON object
 * {"name": "eu-primary", "connection": "postgres://…"} (also "url"). Blank lines and lines
 * starting with # are ignored.
 */
export function parseTargets(text: string, file?: string): FleetTarget[] {
  const targets: FleetTarget[] = []
  const at = file === undefined ? {} : {file}
  const lines = text.split(/\r?\n/)
  // Register every password first, so that no error below can print one. A JSON line registers
  // its connection only (its name is no secret: registering pieces of `"name": "a:b"` would mask
  // words of the report).
  for (const line of lines) {
    let connection: unknown = line
    if (line.trim().startsWith('{')) {
      try {
        const o = JSON.parse(line) as Record<string, unknown>
        connection = o?.connection ?? o?.url
      } catch {}
    }
    if (typeof connection === 'string') redactor.addFromConnectionString(connection)
  }
  lines.forEach((raw, i) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    if (!line.startsWith('{')) {
      targets.push({connection: line})
      return
    }
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new TargetsFileError(usageSays.targetsLineNotJson({...at, line: i + 1}))
    }
    const o = value as Record<string, unknown>
    const connection = typeof o.connection === 'string' ? o.connection : typeof o.url === 'string' ? o.url : undefined
    if (connection === undefined) throw new TargetsFileError(usageSays.targetsLineNoConnection({...at, line: i + 1}))
    redactor.addFromConnectionString(connection)
    if (o.name !== undefined && typeof o.name !== 'string')
      throw new TargetsFileError(usageSays.targetsLineNameNotString({...at, line: i + 1}))
    targets.push(typeof o.name === 'string' && o.name.trim() ? {name: o.name.trim(), connection} : {connection})
  })
  if (targets.length === 0) throw new TargetsFileError(usageSays.targetsEmpty(at))
  return targets
}

/**
 * Every environment of the knexfile, each a target named after it. A knexfile without
 * environments (one flat configuration), or one that cannot be loaded, is one target: its
 * check reports what is wrong (CONFIG_APP_FILE_ERROR).
 */
export async function knexEnvironmentTargets(opts: {
  cwd: string
  env: Record<string, string | undefined>
  knexfile?: string
  /** Budget for loading the knexfile (its code may never settle). */
  timeoutMs?: number
}): Promise<FleetTarget[] | undefined> {
  const file = findKnexfile(opts.cwd, opts.knexfile, {toolNamed: true}) // --all-envs asks for the knexfile
  if (!file || !fs.existsSync(file)) return undefined
  let environments: string[] = []
  try {
    environments = (await loadKnexConfig({file, cwd: opts.cwd, env: opts.env, timeoutMs: opts.timeoutMs})).environments
  } catch (error) {
    if (error instanceof KnexEnvironmentMissing) environments = error.environments
  }
  if (environments.length === 0) return [{name: path.basename(file)}]
  return environments.map((e) => ({name: e, knexEnv: e}))
}

/**
 * Every environment of the sequelize-cli config (config/config.json, .js or the file .sequelizerc
 * names), each a target named after it (--all-envs where there is no knexfile). A config that cannot
 * be loaded is one target: its check reports what is wrong.
 */
export async function sequelizeEnvironmentTargets(opts: {
  cwd: string
  env: Record<string, string | undefined>
  timeoutMs?: number
}): Promise<FleetTarget[] | undefined> {
  const ctx = {
    cwd: opts.cwd,
    env: opts.env,
    envFileOf: () => undefined,
    appTimeoutMs: opts.timeoutMs,
    words: sourceWords,
  }
  let project: Awaited<ReturnType<typeof findSequelizeProject>>
  try {
    project = await findSequelizeProject(ctx)
  } catch {
    return undefined
  }
  if (!project || project.url || !fs.existsSync(project.configFile)) return undefined
  let environments: string[] = []
  try {
    const mod = await loadAppModule(project.configFile, {
      label: path.basename(project.configFile),
      cwd: opts.cwd,
      env: opts.env,
      callDefault: true,
      timeoutMs: opts.timeoutMs,
    })
    const raw = mod?.default
    environments = sequelizeEnvironments(raw)
  } catch {}
  if (environments.length === 0) return [{name: path.basename(project.configFile)}]
  return environments.map((e) => ({name: e, knexEnv: e}))
}
