// `db-doctor check` without oclif: on every healthy run of a CI preflight, oclif's runtime (its
// 330 KB chunk compiled, Config.load, command discovery) cost more than a third of what a check
// costs over a bare node-postgres login (docs/performance.md). cli/check-main.ts (dist/bundle/check.cjs, which
// bin/run.js runs for `check`) runs it here when parseCheckArgv takes its arguments; anything else (--help, a
// flag it does not take, a value it does not accept, a repeated flag, `--`, DEBUG or an oclif variable in the
// environment) goes to oclif, whose messages and exit codes stay the only ones. What it takes, it parses as oclif
// does: test/cli/fast-check.test.ts compares both parsers on generated argv, and the outputs of
// both paths on real runs.
import {redactReport} from '../core/redact.js'
import {TOOL_NAMES} from '../models/tools/names.js'
import {FORMATS} from '../reporters/index.js'
import {Doctor, type CheckFlags} from './doctor.js'

interface FlagSpec {
  kind: 'boolean' | 'string' | 'integer' | 'option'
  char?: string
  /** Repeatable, one value per occurrence (oclif's multiple + multipleNonGreedy). */
  multiple?: true
  /** Values split on commas (oclif's delimiter: ','). */
  commas?: true
  min?: number
  max?: number
  options?: readonly string[]
  default?: string | number | boolean
}

/** check's flags (cli/base.ts checkFlags, plus oclif's --json): the test holds the two equal. */
export const CHECK_FLAG_SPEC: Readonly<Record<string, FlagSpec>> = {
  format: {kind: 'option', char: 'f', options: FORMATS, default: 'text'},
  output: {kind: 'string', multiple: true},
  timeout: {kind: 'integer', default: 5000, min: 100, max: 600_000},
  only: {kind: 'string', multiple: true, commas: true},
  skip: {kind: 'string', multiple: true, commas: true},
  'env-file': {kind: 'string'},
  strict: {kind: 'boolean', default: false},
  verbose: {kind: 'boolean', char: 'v', default: false},
  width: {kind: 'integer', min: 20, max: 1000},
  list: {kind: 'boolean', default: false},
  'dns-server': {kind: 'string', multiple: true},
  knexfile: {kind: 'string'},
  'knex-env': {kind: 'string'},
  tool: {kind: 'option', options: TOOL_NAMES},
  'all-envs': {kind: 'boolean', default: false},
  targets: {kind: 'string'},
  concurrency: {kind: 'integer', default: 8, min: 1, max: 64},
  instances: {kind: 'integer', min: 1, max: 100_000},
  json: {kind: 'boolean'},
}

interface FastCheckArgs {
  /** The CONNECTION arguments, in order. */
  argv: string[]
  flags: CheckFlags & {json?: boolean}
}

/** Check ids: lowercase words joined by '-', comma-separated (nothing oclif would trim, unquote or unescape). */
const ID_LIST = /^[a-z][a-z0-9-]*(,[a-z][a-z0-9-]*)*$/
const INTEGER = /^(0|[1-9][0-9]{0,6})$/

/**
 * check's arguments (after `check`), parsed as oclif parses them; undefined for anything this
 * parser does not take, which then goes to oclif.
 */
export function parseCheckArgv(args: readonly string[], env: NodeJS.ProcessEnv): FastCheckArgs | undefined {
  // oclif reads DEBUG and its DB_DOCTOR_* / OCLIF_* variables (debug output, CONTENT_TYPE=json…); not
  // DB_DOCTOR_STRICT_FACTS, db-doctor's own (app/diagnose.ts reads it on either path), which the test suite sets
  // in every CLI run it spawns: those runs must take the path users' runs take. bin/run.js applies the same
  // rule before it loads check.cjs (plain JS, it cannot import this): change both together
  if (
    Object.keys(env).some(
      (k) => k === 'DEBUG' || (k.startsWith('DB_DOCTOR_') && k !== 'DB_DOCTOR_STRICT_FACTS') || k.startsWith('OCLIF_'),
    )
  )
    return undefined
  const flags: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(CHECK_FLAG_SPEC)) if (spec.default !== undefined) flags[name] = spec.default
  const seen = new Set<string>()
  const argv: string[] = []
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!
    if (!token.startsWith('-')) {
      argv.push(token)
      continue
    }
    let name: string | undefined
    let value: string | undefined
    if (token.startsWith('--')) {
      const eq = token.indexOf('=')
      name = eq < 0 ? token.slice(2) : token.slice(2, eq)
      if (eq >= 0) value = token.slice(eq + 1)
    } else {
      // -v, -f VALUE: nothing bundled (-vf), attached (-fjson) or negative
      name = Object.entries(CHECK_FLAG_SPEC).find(([, s]) => s.char !== undefined && `-${s.char}` === token)?.[0]
    }
    const spec = name === undefined || !Object.hasOwn(CHECK_FLAG_SPEC, name) ? undefined : CHECK_FLAG_SPEC[name]
    if (!spec || !name || (seen.has(name) && !spec.multiple)) return undefined
    seen.add(name)
    if (spec.kind === 'boolean') {
      if (value !== undefined) return undefined
      flags[name] = true
      continue
    }
    if (value === undefined) value = args[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    if (spec.kind === 'option') {
      if (!spec.options!.includes(value)) return undefined
      flags[name] = value
    } else if (spec.kind === 'integer') {
      const n = Number(value)
      if (!INTEGER.test(value) || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return undefined
      flags[name] = n
    } else if (spec.commas) {
      if (!ID_LIST.test(value)) return undefined
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), ...value.split(',')]
    } else if (spec.multiple) {
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), value]
    } else flags[name] = value
  }
  // oclif orders the arguments by where each value first appears (`a b a` gives `a a b`)
  argv.sort((a, b) => args.indexOf(a) - args.indexOf(b))
  return {argv, flags: flags as unknown as FastCheckArgs['flags']}
}

/** `db-doctor check` as oclif's Command runs it (cli/base.ts): the report, or the error line; --json prints the result. */
export async function runCheck(args: FastCheckArgs, version: string): Promise<void> {
  const json = args.flags.json === true
  const doctor = new Doctor({id: 'check', version, jsonEnabled: () => json})
  let result: Awaited<ReturnType<Doctor['check']>> | undefined
  try {
    result = await doctor.check(args.argv, args.flags)
  } catch (error) {
    await doctor.reportError(error as Error)
  }
  if (result && json) doctor.writeJson(redactReport(result))
}
