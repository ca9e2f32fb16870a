// Small helpers the configuration sources and checks share.
import {readGuardedText, UnsafeFileError} from '../core/files.js'
import type {Provenance} from './field.js'

/**
 * A JSON file's object (package.json, .node-pg-migraterc, config/default.json), or undefined when
 * it is missing or not JSON. A FIFO, a device or a file over 4 MiB stops the run (UnsafeFileError).
 */
export function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readGuardedText(file, file.endsWith('package.json') ? 'package.json' : 'config file')) as Record<
      string,
      unknown
    >
  } catch (error) {
    if (error instanceof UnsafeFileError) throw error
    return undefined
  }
}

/** The variables holding exactly `value`, DATABASE_URL first: the ones an app file probably read. */
export function envVarsWithValue(env: Record<string, string | undefined>, value: string): string[] {
  const names = Object.keys(env).filter((k) => env[k] === value)
  return names.sort((a, b) => (a === 'DATABASE_URL' ? -1 : b === 'DATABASE_URL' ? 1 : a.localeCompare(b)))
}

/** Same variable or setting in the same file (labels may differ). */
export function sameSource(a: Provenance, b: Provenance): boolean {
  return a.kind === b.kind && a.name === b.name && a.file === b.file
}

/** A host as written in a URL ("[::1]") without its IPv6 brackets. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}
