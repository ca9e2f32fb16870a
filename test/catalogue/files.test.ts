// The words of a file db-doctor cannot use and of an app file that did not load (src/catalogue/files.ts,
// src/catalogue/app-files.ts): core/ and config/ hand over data, these are the sentences shown for it.
// The real refusals (a FIFO, /dev/zero, a directory as each kind of file) are in test/commands/special-files.test.ts.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {appFileFailureText} from '../../src/catalogue/app-files.js'
import {fileErrorText, fileReasonText, filesSays} from '../../src/catalogue/files.js'
import {FileReadError, readGuarded, UnsafeFileError, type FileReason} from '../../src/core/files.js'

describe('file reasons, worded', () => {
  it('each reason reads after "cannot read X: "', () => {
    const cases: Array<[FileReason, string]> = [
      [{kind: 'errno', code: 'ENOENT'}, 'no such file'],
      [{kind: 'errno', code: 'EACCES'}, 'permission denied'],
      [{kind: 'errno', code: 'EPERM'}, 'permission denied'],
      [{kind: 'errno', code: 'EISDIR'}, 'it is a directory'],
      [{kind: 'errno', code: 'ENOTDIR'}, 'a part of the path is not a directory'],
      [{kind: 'errno', code: 'ELOOP'}, 'too many levels of symbolic links'],
      [{kind: 'errno', code: 'ENXIO'}, 'it is a FIFO (named pipe) or a socket with no other end, not a regular file'],
      [{kind: 'errno', code: 'EIO'}, 'EIO'],
      [{kind: 'errno', code: null}, 'unreadable'],
      [{kind: 'special', file: 'directory'}, 'it is a directory'],
      [{kind: 'special', file: 'fifo'}, 'it is a FIFO (named pipe), not a regular file'],
      [{kind: 'special', file: 'character device'}, 'it is a character device, not a regular file'],
      [{kind: 'special', file: 'block device'}, 'it is a block device, not a regular file'],
      [{kind: 'special', file: 'socket'}, 'it is a socket, not a regular file'],
      [{kind: 'special', file: 'other'}, 'it is not a regular file'],
      [
        {kind: 'too-large', limit: 1024 * 1024, size: 3 * 1024 * 1024 + 512},
        'it is larger than 1 MiB (3 MiB), the limit for this kind of file',
      ],
      [{kind: 'too-large', limit: 4096, size: null}, 'it is larger than 4 KiB'],
      [
        {kind: 'too-large', limit: 100, size: 200},
        'it is larger than 100 bytes (200 bytes), the limit for this kind of file',
      ],
    ]
    for (const [reason, text] of cases) expect(fileReasonText(reason)).toBe(text)
  })

  it('a refused file from the real opener: the usage error names it, the message stays data', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-files-'))
    try {
      const big = path.join(dir, 'big.env')
      fs.writeFileSync(big, 'x'.repeat(2048))
      const unsafe = (() => {
        try {
          readGuarded(big, 'env file', 1024)
        } catch (error) {
          return error
        }
      })()
      expect(unsafe).toBeInstanceOf(UnsafeFileError)
      expect(fileErrorText(unsafe)).toBe(
        `cannot use ${big} as the env file: it is larger than 1 KiB (2 KiB), the limit for this kind of file`,
      )
      expect((unsafe as Error).message).not.toMatch(/larger than/)
      const missing = (() => {
        try {
          readGuarded(path.join(dir, 'missing'), 'knexfile')
        } catch (error) {
          return error
        }
      })()
      expect(missing).toBeInstanceOf(FileReadError)
      expect(fileErrorText(missing)).toBe('no such file')
      expect(fileErrorText(new Error('other'))).toBeUndefined()
      expect(filesSays.envFileUnreadable({file: '.env', reason: null})).toBe(
        'Cannot read the env file .env: unreadable',
      )
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('app file failures, worded', () => {
  it('the file’s own words stay as they are; db-doctor’s are worded here', () => {
    expect(appFileFailureText('DATABASE_URL is not set')).toBe('DATABASE_URL is not set')
    expect(appFileFailureText({kind: 'unreadable', reason: {kind: 'errno', code: 'EISDIR'}})).toBe('it is a directory')
    expect(appFileFailureText({kind: 'ended', end: {how: 'signal', signal: 'SIGKILL'}})).toBe(
      'the process loading it ended (SIGKILL)',
    )
    expect(appFileFailureText({kind: 'ended', end: {how: 'exit', code: 3}})).toBe(
      'it exited (process.exit(3)) before it finished loading',
    )
    expect(appFileFailureText({kind: 'ended', end: {how: 'exit', code: null}})).toBe(
      'it exited (process.exit()) before it finished loading',
    )
    expect(appFileFailureText({kind: 'ended', end: {how: 'spawn', message: 'spawn EAGAIN'}})).toBe(
      'it could not be loaded: spawn EAGAIN',
    )
    expect(appFileFailureText({kind: 'limit', limit: 'time', amount: 5000})).toBe(
      'it did not finish loading within 5000 ms and was stopped (a synchronous loop, a promise that never settles, or a connection function that never returns?)',
    )
    expect(appFileFailureText({kind: 'limit', limit: 'memory', amount: 512})).toBe(
      'it used more than 512 MiB of memory while loading and was stopped',
    )
    expect(appFileFailureText({kind: 'missing', how: '-d in script "m"'})).toBe(
      'the file named by -d in script "m" does not exist',
    )
  })
})
