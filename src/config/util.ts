// Small helpers the configuration sources and checks share.
import fs from 'node:fs'
import type {Provenance} from './types.js'

/** A JSON file's object, or undefined when it is missing or not JSON. */
export function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
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
