// The one guarded opener: every file db-doctor reads or writes because a user or an app points at
// it (env files, knexfiles, package.json, Prisma schemas and configs, certificates and keys, the
// password file, --targets, --output, $GITHUB_STEP_SUMMARY) goes through here (docs/app-code.md).
// - Regular files only. The documented exception: /dev/null reads as an empty file and may be
//   written to (the usual way to say "none").
// - Opened with O_NONBLOCK: a FIFO nobody writes to would block open() in libuv's threadpool, and
//   a blocked threadpool thread keeps Node from exiting; fstat on the open descriptor then refuses
//   it. A FIFO, a device, a socket is an UnsafeFileError: a usage error (exit 2) naming the file.
// - At most a size cap per kind of file: /dev/zero or a huge file cannot eat memory or time.
import fs from 'node:fs'
import path from 'node:path'
import util from 'node:util'

/** 1 MiB: far above any real .env file, far below what takes measurable time to read. */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024

/** What db-doctor reads, and how much of it at most. */
export const FILE_CAPS = {
  'env file': MAX_TEXT_FILE_BYTES,
  knexfile: MAX_TEXT_FILE_BYTES,
  'Prisma config': MAX_TEXT_FILE_BYTES,
  'Prisma schema': 4 * MAX_TEXT_FILE_BYTES,
  'package.json': 4 * MAX_TEXT_FILE_BYTES,
  'config file': MAX_TEXT_FILE_BYTES,
  certificate: MAX_TEXT_FILE_BYTES,
  'CA bundle': 8 * MAX_TEXT_FILE_BYTES,
  'password file': MAX_TEXT_FILE_BYTES,
  'targets file': MAX_TEXT_FILE_BYTES,
} as const

type FileKind = keyof typeof FILE_CAPS

/** What a special file is: data, worded by the catalogue (src/catalogue/files.ts). */
export type SpecialFile = 'directory' | 'fifo' | 'character device' | 'block device' | 'socket' | 'other'

/**
 * Why a file cannot be used, as data: the catalogue words it (src/catalogue/files.ts fileReasonText,
 * "permission denied", "it is a FIFO (named pipe), not a regular file"), after "cannot read X: ".
 * - errno: open(2) failed with `code` (null: no code); ENXIO is a FIFO or a socket with no other end;
 * - special: fstat (or stat) saw something other than a regular file;
 * - too-large: over `limit` bytes (`size`: the size fstat gave, null when the file grew while read).
 */
export type FileReason =
  | {kind: 'errno'; code: string | null}
  | {kind: 'special'; file: SpecialFile}
  | {kind: 'too-large'; limit: number; size: number | null}

/** libuv's own description of each errno code ("no such file or directory"): data, as the system says it. */
let systemErrors: Map<string, string> | undefined
function systemError(code: string): string | undefined {
  systemErrors ??= new Map([...util.getSystemErrorMap().values()].map(([name, text]) => [name, text]))
  return systemErrors.get(code)
}

/**
 * A file that cannot be read. `reason` is data: whoever shows it words it with the catalogue
 * (src/catalogue/files.ts). The message is the system's description of the errno ("no such file or
 * directory"), else the code (ENOTREG, EFBIG): for logs and crashes, never the words shown.
 */
export class FileReadError extends Error {
  constructor(
    readonly reason: FileReason,
    readonly code: string,
  ) {
    super((reason.kind === 'errno' && reason.code !== null && systemError(reason.code)) || code)
    this.name = 'FileReadError'
  }
}

/**
 * A FIFO, a device or a socket where db-doctor expects a regular file, or a file over its size
 * cap: the run stops with a usage error (exit 2) that names the file, worded by the catalogue
 * (catalogue/files.ts filesSays.unsafe, fileErrorText). Sources that turn read errors into findings let this
 * one through.
 */
export class UnsafeFileError extends FileReadError {
  constructor(
    readonly file: string,
    readonly kind: string,
    reason: FileReason,
    code: string,
  ) {
    super(reason, code)
    this.name = 'UnsafeFileError'
    this.message = `${file}: ${this.message}`
  }
}

function specialOf(st: fs.Stats): SpecialFile {
  if (st.isDirectory()) return 'directory'
  if (st.isFIFO()) return 'fifo'
  if (st.isCharacterDevice()) return 'character device'
  if (st.isBlockDevice()) return 'block device'
  if (st.isSocket()) return 'socket'
  return 'other'
}

function errnoReason(err: NodeJS.ErrnoException): FileReason {
  return {kind: 'errno', code: err.code ?? null}
}

function isDevNull(st: fs.Stats): boolean {
  try {
    const dn = fs.statSync('/dev/null')
    return st.isCharacterDevice() && st.rdev === dn.rdev
  } catch {
    return false
  }
}

/** Refuse what is not a regular file (/dev/null aside) or is over `maxBytes`. */
function refuse(file: string, kind: string, st: fs.Stats, maxBytes: number): void {
  if (st.isDirectory()) throw new FileReadError({kind: 'errno', code: 'EISDIR'}, 'EISDIR')
  if (!st.isFile()) throw new UnsafeFileError(file, kind, {kind: 'special', file: specialOf(st)}, 'ENOTREG')
  if (st.size > maxBytes)
    throw new UnsafeFileError(file, kind, {kind: 'too-large', limit: maxBytes, size: st.size}, 'EFBIG')
}

/**
 * open(2) with O_NONBLOCK, so that a FIFO never blocks the open (a FIFO without a reader refuses a
 * non-blocking writer with ENXIO: a special file, said so). Errors become FileReadError / UnsafeFileError.
 */
function openNonBlocking(file: string, kind: string, flags: number): number {
  try {
    return fs.openSync(file, flags | fs.constants.O_NONBLOCK)
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    if (err.code === 'ENXIO') throw new UnsafeFileError(file, kind, errnoReason(err), 'ENOTREG')
    throw new FileReadError(errnoReason(err), err.code ?? 'EUNKNOWN')
  }
}

/**
 * The bytes of a regular file of at most `maxBytes` (default: the cap of `kind`). Throws
 * FileReadError (missing, unreadable, a directory) or UnsafeFileError (special file, too large).
 */
export function readGuarded(file: string, kind: FileKind | string, maxBytes?: number): Buffer {
  const cap = maxBytes ?? (FILE_CAPS as Record<string, number>)[kind] ?? MAX_TEXT_FILE_BYTES
  const fd = openNonBlocking(file, kind, fs.constants.O_RDONLY)
  try {
    const st = fs.fstatSync(fd)
    if (isDevNull(st)) return Buffer.alloc(0)
    refuse(file, kind, st, cap)
    // Read at most cap + 1 even if the file grew since fstat.
    const buf = Buffer.alloc(Math.min(st.size, cap) + 1)
    let total = 0
    for (;;) {
      const n = fs.readSync(fd, buf, total, buf.length - total, null)
      if (n === 0) break
      total += n
      if (total >= buf.length)
        throw new UnsafeFileError(file, kind, {kind: 'too-large', limit: cap, size: null}, 'EFBIG')
    }
    return buf.subarray(0, total)
  } finally {
    fs.closeSync(fd)
  }
}

/** readGuarded as UTF-8 text. */
export function readGuardedText(file: string, kind: FileKind | string, maxBytes?: number): string {
  if (kind !== 'package.json' || maxBytes !== undefined || !packageJsons)
    return readGuarded(file, kind, maxBytes).toString('utf8')
  const key = path.resolve(file)
  const seen = packageJsons.get(key)
  if (seen) {
    if ('error' in seen) throw seen.error
    return seen.text
  }
  try {
    const text = readGuarded(file, kind).toString('utf8')
    packageJsons.set(key, {text})
    return text
  } catch (error) {
    packageJsons.set(key, {error})
    throw error
  }
}

/** The package.json files read while withPackageJsons() runs: their text, or what reading them threw. */
let packageJsons: Map<string, {text: string} | {error: unknown}> | undefined

/**
 * Run `fn` with each package.json read once: the configuration sources, the launch and driver models and
 * the checks each read the app's package.json themselves (14 reads of it in one healthy check). Only for
 * the length of `fn`, one diagnosis: `serve` and `wait` read it again on their next run. Overlapping calls
 * (a fleet's targets) share the map, and the first to end stops the caching: each file is then read again,
 * as without it.
 */
export async function withPackageJsons<T>(fn: () => Promise<T>): Promise<T> {
  if (packageJsons) return fn()
  packageJsons = new Map()
  try {
    return await fn()
  } finally {
    packageJsons = undefined
  }
}

/**
 * The text of a regular file, or a FileReadError (its reason worded by the catalogue after "cannot read X: ").
 * /dev/null is accepted as an empty file (the documented way to say "no env file").
 */
export function readRegularTextFile(file: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  return readGuardedText(file, 'env file', maxBytes)
}

/**
 * Refuse, before anything else reads it (pg-connection-string reads sslrootcert / sslcert /
 * sslkey with readFileSync when it parses the URL), a path that is a special file or over its
 * cap. A missing or unreadable file is left to the checks that report it. stat() does not block
 * on a FIFO.
 */
export function assertSafeFile(file: string, kind: FileKind | string, maxBytes?: number): void {
  let st: fs.Stats | undefined
  try {
    st = fs.statSync(file, {throwIfNoEntry: false})
  } catch {
    return
  }
  if (!st || isDevNull(st) || st.isDirectory()) return
  refuse(file, kind, st, maxBytes ?? (FILE_CAPS as Record<string, number>)[kind] ?? MAX_TEXT_FILE_BYTES)
}

/**
 * A path db-doctor will write (--output, $GITHUB_STEP_SUMMARY): absent, a regular file, or
 * /dev/null; else the UnsafeFileError to report (checked before the run, and again on open).
 */
export function writableTargetProblem(file: string, kind: string): UnsafeFileError | undefined {
  let st: fs.Stats
  try {
    st = fs.statSync(file)
  } catch {
    return undefined
  }
  if (st.isFile() || isDevNull(st)) return undefined
  return new UnsafeFileError(
    file,
    kind,
    {kind: 'special', file: specialOf(st)},
    st.isDirectory() ? 'EISDIR' : 'ENOTREG',
  )
}

/** Write (or append) `text` to a regular file (or /dev/null) without ever blocking on a FIFO. */
export function writeGuarded(file: string, kind: string, text: string, append: boolean): void {
  const {O_WRONLY, O_CREAT, O_APPEND} = fs.constants
  const fd = openNonBlocking(file, kind, O_WRONLY | O_CREAT | (append ? O_APPEND : 0))
  try {
    const st = fs.fstatSync(fd)
    if (isDevNull(st)) return
    if (!st.isFile()) throw new UnsafeFileError(file, kind, {kind: 'special', file: specialOf(st)}, 'ENOTREG')
    if (!append) fs.ftruncateSync(fd, 0)
    fs.writeSync(fd, text)
  } finally {
    fs.closeSync(fd)
  }
}
