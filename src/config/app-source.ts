// The app's own source files, read as text and never run, for what a driver model looks for in
// them (models/drivers/node-postgres.ts poolsInCode: a Pool's idleTimeoutMillis and 'error'
// listener). Bounded: folders to depth 4 below the app's folder, node_modules, dot folders and
// build output skipped, regular files only (no symbolic link is followed, a FIFO or a device is never
// opened), at most MAX_FILES files of MAX_BYTES each and MAX_TOTAL bytes in all, through the guarded
// opener. Only files whose text passes `wanted` are returned.
import fs from 'node:fs'
import path from 'node:path'
import {readGuardedText} from '../core/files.js'

const MAX_DEPTH = 4
const MAX_DIRS = 200
const MAX_FILES = 400
const MAX_BYTES = 256 * 1024
const MAX_TOTAL = 4 * 1024 * 1024
const SOURCE = /\.(?:c|m)?(?:js|ts)x?$/
const SKIP = new Set(['node_modules', 'dist', 'build', 'out', 'coverage', 'vendor', 'tmp'])

interface AppSourceFile {
  /** the path from the app's folder ("src/db.ts") */
  display: string
  text: string
}

/** The app's source files whose text `wanted` accepts, in a stable order (bounded; see above). */
export function appSourceFiles(cwd: string, wanted: (text: string) => boolean): AppSourceFile[] {
  const out: AppSourceFile[] = []
  let dirs = 0
  let files = 0
  let bytes = 0
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH || dirs >= MAX_DIRS) return
    dirs++
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(dir, {withFileTypes: true})
    } catch {
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      if (e.isFile() && SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) {
        if (files >= MAX_FILES || bytes >= MAX_TOTAL) return
        files++
        const file = path.join(dir, e.name)
        let text: string
        try {
          text = readGuardedText(file, 'app source file', MAX_BYTES)
        } catch {
          continue // over the cap, gone, unreadable: not read
        }
        bytes += text.length
        if (wanted(text)) out.push({display: path.relative(cwd, file), text})
      }
    }
    for (const e of entries)
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name)) walk(path.join(dir, e.name), depth + 1)
  }
  walk(cwd, 0)
  return out
}
