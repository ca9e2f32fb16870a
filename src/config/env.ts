// The environment the app sees: the process environment plus one dotenv file
// (.env in the working folder, or --env-file). Semantics are dotenv's: the file
// is parsed with dotenv.parse (never dotenv.config, which logs in v17) and a
// variable the process already has wins over the file.
import fs from 'node:fs'
import path from 'node:path'
import {parse as parseDotenv} from 'dotenv'
import {FileReadError, readRegularTextFile, type FileReason} from '../core/files.js'
import type {Provenance} from './field.js'

export interface LoadedEnv {
  env: Record<string, string | undefined>
  /** The env file that supplied a variable (only when the process did not set it). */
  envFileOf: (name: string) => string | undefined
  /** The env file read, relative to cwd when inside it; undefined when none. */
  file?: string
}

/**
 * An explicit --env-file (or a .env) that cannot be read: the file, and why as data (null: not a
 * FileReadError). The usage error shown is worded by the catalogue (catalogue/files.ts
 * envFileUnreadable); the message, the file and the system's description of the error, is for logs.
 */
export class EnvFileError extends Error {
  readonly file: string
  readonly reason: FileReason | null
  constructor(file: string, error: unknown) {
    super(`${file}: ${error instanceof FileReadError ? error.message : 'unreadable'}`)
    this.name = 'EnvFileError'
    this.file = file
    this.reason = error instanceof FileReadError ? error.reason : null
  }
}

/** A path relative to cwd when it is inside cwd, absolute otherwise. */
export function displayPath(cwd: string, file: string): string {
  const abs = path.resolve(cwd, file)
  const rel = path.relative(cwd, abs)
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel
  return abs
}

export function loadEnv(opts: {cwd: string; envFile?: string; processEnv: NodeJS.ProcessEnv}): LoadedEnv {
  const {cwd, envFile, processEnv} = opts
  let content: string | undefined
  let file: string | undefined
  if (envFile) {
    const abs = path.resolve(cwd, envFile)
    file = displayPath(cwd, abs)
    try {
      content = readRegularTextFile(abs)
    } catch (error) {
      throw new EnvFileError(file, error)
    }
  } else {
    // The default .env: absent is normal (the app would not see one either); present but not
    // a readable regular file of sane size is reported like a bad --env-file.
    const abs = path.join(cwd, '.env')
    let exists = false
    try {
      fs.lstatSync(abs)
      exists = true
    } catch {}
    if (exists) {
      try {
        content = readRegularTextFile(abs)
        file = '.env'
      } catch (error) {
        // a dangling symlink or an unreadable file: dotenv skips it, so does the app
        if (!(error instanceof FileReadError) || !['ENOENT', 'EACCES', 'EPERM'].includes(error.code))
          throw new EnvFileError('.env', error)
      }
    }
  }

  const fromFile: Record<string, string> = content === undefined ? {} : parseDotenv(content)
  const env: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(fromFile)) env[k] = v
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env[k] = v
  const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k)
  const envFileOf = (name: string) =>
    file !== undefined && has(fromFile, name) && processEnv[name] === undefined ? file : undefined
  return file === undefined ? {env, envFileOf} : {env, envFileOf, file}
}

/** Provenance of an environment variable: "DB_PASSWORD in .env" or "DATABASE_URL (environment)". */
export function envProvenance(envFileOf: (name: string) => string | undefined, name: string): Provenance {
  const file = envFileOf(name)
  if (file !== undefined) return {kind: 'env-file', name, file, label: `${name} in ${file}`}
  return {kind: 'env', name, label: `${name} (environment)`}
}

/**
 * The raw text after `NAME=` on the last line of an env file that assigns NAME,
 * unquoted values only (undefined for quoted or absent ones). dotenv cuts an
 * unquoted value at " #" or "#": comparing the two tells that a value was cut.
 */
export function rawEnvFileValue(cwd: string, file: string, name: string): string | undefined {
  let text: string
  try {
    text = readRegularTextFile(path.resolve(cwd, file))
  } catch {
    return undefined
  }
  let raw: string | undefined
  const re = new RegExp(`^\\s*(?:export\\s+)?${name.replace(/[^A-Za-z0-9_]/g, '')}\\s*[=:]\\s*(.*)$`)
  for (const line of text.split(/\r?\n/)) {
    const m = re.exec(line)
    if (m) raw = m[1].trim()
  }
  if (raw === undefined || /^['"`]/.test(raw)) return undefined
  return raw
}

/**
 * When dotenv cut an unquoted value at a "#" (its comment syntax), the full text
 * as written in the file; undefined when the value was not cut.
 */
export function dotenvCut(cwd: string, file: string, name: string, parsed: string): string | undefined {
  const raw = rawEnvFileValue(cwd, file, name)
  if (raw === undefined || !raw.includes('#') || raw === parsed || !raw.startsWith(parsed)) return undefined
  return raw
}
