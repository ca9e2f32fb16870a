// Packages installed in the app, found as Node finds them for a process started in the app's
// folder (node_modules walking up, no realpath). Pure reads of package.json files, through the
// guarded opener (core/files.ts).
import fs from 'node:fs'
import path from 'node:path'
import {readGuardedText} from '../core/files.js'

/** The folder of `name` as Node finds it from `fromDir` (node_modules walking up, no realpath). */
export function findPackageDir(name: string, fromDir: string): string | undefined {
  let dir = path.resolve(fromDir)
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name)
    try {
      // throwIfNoEntry: most candidates are missing, and a thrown error (its stack captured) costs ~10 × the stat
      if (fs.statSync(path.join(candidate, 'package.json'), {throwIfNoEntry: false})?.isFile()) return candidate
    } catch {}
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

function readPackageJson(file: string): Record<string, unknown> | undefined {
  try {
    // the guarded opener: a FIFO, a device or a huge file is no package.json here (callers that
    // read the app's own package.json as such say so: a usage error)
    const v = JSON.parse(readGuardedText(file, 'package.json')) as unknown
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The version in a package folder's package.json, when it looks like a version. */
export function packageVersion(dir: string | undefined): string | undefined {
  if (!dir) return undefined
  const v = readPackageJson(path.join(dir, 'package.json'))?.version
  return typeof v === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(v) ? v : undefined
}

/** dependencies + devDependencies of the app's package.json (names → ranges). */
export function declaredDependencies(cwd: string): Record<string, string> {
  const pkg = readPackageJson(path.join(cwd, 'package.json'))
  const out: Record<string, string> = {}
  for (const k of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
    const deps = pkg?.[k]
    if (deps && typeof deps === 'object')
      for (const [n, r] of Object.entries(deps as Record<string, unknown>)) if (typeof r === 'string') out[n] = r
  }
  return out
}
