// The words of the guarded opener (src/core/files.ts): why a file cannot be used, and the usage error
// (exit 2) of a FIFO, a device or an oversized file where db-doctor expects a regular file. core/ holds
// the reasons as data; whoever shows one (the commands, the config check's problems, the runner's
// INTERNAL_ERROR) words it here.
import {FileReadError, UnsafeFileError, type FileReason, type SpecialFile} from '../core/files.js'
import {messages} from './types.js'

const SPECIAL: {readonly [K in SpecialFile]: string} = {
  directory: 'a directory',
  fifo: 'a FIFO (named pipe), not a regular file',
  'character device': 'a character device, not a regular file',
  'block device': 'a block device, not a regular file',
  socket: 'a socket, not a regular file',
  other: 'not a regular file',
}

const ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENXIO: 'it is a FIFO (named pipe) or a socket with no other end, not a regular file',
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`
  return `${n} bytes`
}

/** Why a file cannot be used, read after "cannot read X: " ("permission denied", "it is a directory"). */
export function fileReasonText(r: FileReason): string {
  switch (r.kind) {
    case 'errno':
      return r.code === null ? 'unreadable' : (ERRNO[r.code] ?? r.code)
    case 'special':
      return `it is ${SPECIAL[r.file]}`
    case 'too-large':
      return r.size === null
        ? `it is larger than ${formatBytes(r.limit)}`
        : `it is larger than ${formatBytes(r.limit)} (${formatBytes(r.size)}), the limit for this kind of file`
  }
}

export const filesSays = messages({
  /** The usage error of an UnsafeFileError: "cannot use /dev/zero as the knexfile: it is larger than 1 MiB". */
  unsafe: (p: {file: string; kind: string; reason: FileReason}) =>
    `cannot use ${p.file} as the ${p.kind}: ${fileReasonText(p.reason)}`,
  /** --env-file (or a .env that is there) that cannot be read: a usage error (config/env.ts EnvFileError). */
  envFileUnreadable: (p: {file: string; reason: FileReason | null}) =>
    `Cannot read the env file ${p.file}: ${p.reason ? fileReasonText(p.reason) : 'unreadable'}`,
  /** A report file (--output, the step summary) that cannot be written: the reason, or the error's code or message. */
  cannotWrite: (p: {file: string; reason: FileReason | string}) =>
    `cannot write ${p.file}: ${typeof p.reason === 'string' ? p.reason : fileReasonText(p.reason)}`,
})

/**
 * The words of a guarded-opener error wherever an error's message is shown (a usage error, a crash
 * quoted by INTERNAL_ERROR, serve's log): the usage error of an UnsafeFileError, the reason of a
 * FileReadError; undefined for any other error (its own message stands).
 */
export function fileErrorText(error: unknown): string | undefined {
  if (error instanceof UnsafeFileError) return filesSays.unsafe(error)
  if (error instanceof FileReadError) return fileReasonText(error.reason)
  return undefined
}
