// Reading files that users and apps point at (env files, …) without trusting what they are:
// regular files only, opened without blocking (a FIFO with no writer would block open() in
// libuv's threadpool, and a blocked threadpool thread keeps Node from exiting), and at most
// MAX_TEXT_FILE_BYTES (a huge file or /dev/zero cannot eat the memory or the time budget).
import fs from 'node:fs'

/** 1 MiB: far above any real .env file, far below what takes measurable time to read. */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024

export class FileReadError extends Error {
  constructor(
    readonly reason: string,
    readonly code: string,
  ) {
    super(reason)
    this.name = 'FileReadError'
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO (named pipe), not a regular file'
  if (st.isCharacterDevice()) return 'a character device, not a regular file'
  if (st.isBlockDevice()) return 'a block device, not a regular file'
  if (st.isSocket()) return 'a socket, not a regular file'
  return 'not a regular file'
}

/**
 * The text of a regular file, or a FileReadError whose reason reads well after "cannot read X: ".
 * /dev/null is accepted as an empty file (the documented way to say "no env file").
 */
export function readRegularTextFile(file: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  let fd: number
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    const reason =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EACCES' || err.code === 'EPERM'
          ? 'permission denied'
          : err.code === 'EISDIR'
            ? 'it is a directory'
            : err.code === 'ENOTDIR'
              ? 'a part of the path is not a directory'
              : err.code === 'ELOOP'
                ? 'too many levels of symbolic links'
                : (err.code ?? 'unreadable')
    throw new FileReadError(reason, err.code ?? 'EUNKNOWN')
  }
  try {
    const st = fs.fstatSync(fd)
    if (st.isCharacterDevice() && isDevNull(file, st)) return ''
    if (!st.isFile()) throw new FileReadError(`it is ${kindOf(st)}`, st.isDirectory() ? 'EISDIR' : 'ENOTREG')
    if (st.size > maxBytes) throw new FileReadError(`it is larger than ${formatBytes(maxBytes)} (${formatBytes(st.size)}); env files are read up to that size`, 'EFBIG')
    // Read at most maxBytes + 1 even if the file grew since fstat.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1)
    let total = 0
    for (;;) {
      const n = fs.readSync(fd, buf, total, buf.length - total, null)
      if (n === 0) break
      total += n
      if (total >= buf.length) throw new FileReadError(`it is larger than ${formatBytes(maxBytes)}`, 'EFBIG')
    }
    return buf.subarray(0, total).toString('utf8')
  } finally {
    fs.closeSync(fd)
  }
}

function isDevNull(file: string, st: fs.Stats): boolean {
  try {
    const dn = fs.statSync('/dev/null')
    return st.rdev === dn.rdev && st.isCharacterDevice()
  } catch {
    return file === '/dev/null'
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`
  return `${n} bytes`
}
