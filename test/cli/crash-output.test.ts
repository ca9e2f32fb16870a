// A crash nobody catches (a bug, or a library throwing from a socket event) is printed by Node itself, past
// process.stderr.write and so past the output redaction: a password in the error's message or stack would be
// shown as typed. The CLI prints it itself, through the masks, and exits 1 as Node does. The crash is real: a
// preloaded module makes the first socket connect throw asynchronously, with the password in the message.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {runCli} from '../helpers/cli.js'

const pg = inject('pg')
const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-crash-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const preload = path.join(dir, 'crash-on-connect.mjs')
writeFileSync(
  preload,
  `import net from 'node:net'
const connect = net.Socket.prototype.connect
let thrown = false
net.Socket.prototype.connect = function (...args) {
  if (!thrown) {
    thrown = true
    const secret = process.env.CRASH_SECRET
    setImmediate(() => { throw new Error('crash in a socket event: postgres://app:' + secret + '@db/x and ' + secret) })
  }
  return connect.apply(this, args)
}
`,
)

describe('an uncaught exception', () => {
  for (const format of ['text', 'json'])
    it(`is printed through the masks, exit 1 (--format ${format})`, async () => {
      const url = `postgres://app:${encodeURIComponent(CANARY_PASSWORD)}@127.0.0.1:${pg.port}/app`
      const r = await runCli(['check', url, '--only', 'config,tcp', '--format', format], {
        env: {NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`, CRASH_SECRET: CANARY_PASSWORD},
      })
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain('crash in a socket event: postgres://app:****@db/x and ****')
      for (const s of [CANARY_PASSWORD, encodeURIComponent(CANARY_PASSWORD)]) {
        expect(r.stdout).not.toContain(s)
        expect(r.stderr).not.toContain(s)
      }
    })
})
