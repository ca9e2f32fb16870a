// Every way a password reaches db-doctor × characters that bend URL, dotenv and key=value
// parsing: no part of the password in any report format. Only config and ssl-config run (no
// sockets), so fragments a broken URL turns into host names are never looked up.
// Mirrors the CLI: diagnose(), a reporter, then the output redaction layer.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/app/diagnose.js'
import {redactor} from '../../src/core/redact.js'
import {renderJson} from '../../src/reporters/json.js'
import {renderMarkdown} from '../../src/reporters/markdown.js'
import {renderText} from '../../src/reporters/text.js'

const HEAD = 'HEADcanary7f3a'
const TAIL = 'TAILcanary9c1e'
const SPECIALS = [
  '#',
  '@',
  '/',
  '?',
  ':',
  '%',
  ' ',
  '&',
  '=',
  "'",
  '"',
  '\\',
  '%2',
  '#@',
  '@#',
  '/#',
  ';',
  '[',
  ']',
  '`',
  '$',
  '^',
  // malformed URLs that split the password into a port, a parameter name or value, a database
  '?x=1',
  '?x=1&y=',
  '?sslmode=disable&a=',
  '/db?x=',
  '#x=1',
  '/x/y',
  '?#/&=;,',
]

interface Way {
  name: string
  connection?: (pw: string) => string
  files?: (pw: string) => Record<string, string>
  env?: (pw: string) => Record<string, string>
}
const url = (pw: string) => `postgres://app:${pw}@127.0.0.1:5432/appdb`
const WAYS: Way[] = [
  {name: 'URL argument', connection: url},
  {name: 'key=value argument', connection: (pw) => `host=127.0.0.1 user=app password=${pw}`},
  {
    name: 'quoted key=value argument',
    connection: (pw) => `host=127.0.0.1 user=app password='${pw.replace(/['\\]/g, '\\$&')}'`,
  },
  {name: 'unquoted .env URL', files: (pw) => ({'.env': `DATABASE_URL=${url(pw)}\n`})},
  {name: 'double-quoted .env URL', files: (pw) => ({'.env': `DATABASE_URL="${url(pw)}"\n`})},
  {name: 'single-quoted .env URL', files: (pw) => ({'.env': `DATABASE_URL='${url(pw)}'\n`})},
  {
    name: 'DB_* in .env',
    files: (pw) => ({'.env': `DB_HOST=127.0.0.1\nDB_USER=app\nDB_NAME=appdb\nDB_PASSWORD=${pw}\n`}),
  },
  {name: 'DATABASE_URL in the environment', env: (pw) => ({DATABASE_URL: url(pw)})},
  {name: 'PGPASSWORD', env: (pw) => ({PGHOST: '127.0.0.1', PGUSER: 'app', PGPASSWORD: pw})},
  {
    name: 'knexfile URL',
    files: (pw) => ({
      'knexfile.cjs': `module.exports = {development: {client: 'pg', connection: ${JSON.stringify(url(pw))}}}\n`,
    }),
  },
  {
    name: 'knexfile object',
    files: (pw) => ({
      'knexfile.cjs': `module.exports = {development: {client: 'pg', connection: {host: '127.0.0.1', user: 'app', password: ${JSON.stringify(pw)}}}}\n`,
    }),
  },
]

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true})
})

async function outputs(way: Way, pw: string): Promise<string[]> {
  // as in a fresh CLI process: only what this run registers may mask anything
  redactor.clear()
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-redaction-'))
  dirs.push(cwd)
  for (const [n, c] of Object.entries(way.files?.(pw) ?? {})) fs.writeFileSync(path.join(cwd, n), c)
  const {env, envFileOf} = loadEnv({
    cwd,
    processEnv: {HOME: cwd, USER: 'osuser', PGPASSFILE: path.join(cwd, 'none'), ...way.env?.(pw)},
  })
  const report = await diagnose({
    connection: way.connection?.(pw),
    cwd,
    env,
    envFileOf,
    options: {timeoutMs: 1000, verbose: true, dnsServers: []},
    only: ['config', 'ssl-config'],
    tool: 'db-doctor@test',
    strictFacts: true,
  })
  return [
    renderJson(report),
    renderMarkdown(report, {verbose: true}),
    renderText(report, {color: false, verbose: true, width: 160}),
  ].map((o) => redactor.redact(o))
}

describe('no part of a password in any format', () => {
  for (const way of WAYS) {
    it(way.name, async () => {
      for (const sp of SPECIALS) {
        const pw = `${HEAD}${sp}${TAIL}`
        for (const out of await outputs(way, pw)) {
          expect(out, `${way.name}, "${sp}"`).not.toContain(HEAD)
          expect(out, `${way.name}, "${sp}"`).not.toContain(TAIL)
        }
      }
    })
  }
})
