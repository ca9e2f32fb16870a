// A knexfile is user code that db-doctor runs, as the knex CLI does: it may print its password,
// throw or reject later, never settle, or call process.exit. The built CLI keeps stdout the
// report, turns each misbehaviour into CONFIG_APP_FILE_ERROR (redacted, first line, no stack,
// no source line) or, when it is still running at the --timeout budget, CONFIG_APP_FILE_LIMIT, and
// keeps its own exit code (0/1/2): the file runs in a child process (src/config/app-code.ts).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {checkOf, reportOf, runCli} from '../../helpers/cli.js'

const PW = 'knexfile-canary-5e1d'
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

function app(knexfile: string): string {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-knex-untrusted-'))
  dirs.push(cwd)
  writeFileSync(join(cwd, 'knexfile.cjs'), knexfile)
  return cwd
}

const CONFIG = (port = 1) =>
  `{development: {client: 'pg', connection: {host: '127.0.0.1', port: ${port}, user: 'app', password: ${JSON.stringify(PW)}, database: 'appdb'}}}`

function clean(r: {stdout: string; stderr: string}): void {
  expect(r.stdout + r.stderr).not.toContain(PW)
  expect(r.stdout + r.stderr).not.toContain('knexfile-canary')
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/) // no stack trace
  expect(r.stderr).not.toContain('module.exports') // no source line
}

async function run(knexfile: string, args: string[] = ['--only', 'config']) {
  const r = await runCli(['check', '--json', '--timeout', '1000', ...args], {cwd: app(knexfile), timeoutMs: 30_000})
  clean(r)
  return r
}

describe('a misbehaving knexfile cannot take db-doctor over', () => {
  it('logs its password: stdout stays one JSON report, the log goes to stderr redacted', async () => {
    const r = await run(
      `console.log('connecting with', ${JSON.stringify(PW)}); console.error('pw', ${JSON.stringify(PW)});\nmodule.exports = ${CONFIG()}\n`,
    )
    expect(r.code).toBe(0)
    expect(reportOf(r).checks[0].id).toBe('config')
  })

  it('throws asynchronously while loading: CONFIG_APP_FILE_ERROR, redacted, no source line', async () => {
    const r = await run(
      `setTimeout(() => { throw new Error('late failure ' + ${JSON.stringify(PW)}) }, 5)\nmodule.exports = new Promise((resolve) => setTimeout(() => resolve(${CONFIG()}), 200))\n`,
    )
    expect(r.code).toBe(1)
    const c = checkOf(reportOf(r), 'config')
    expect(c).toMatchObject({status: 'fail', code: 'CONFIG_APP_FILE_ERROR'})
    expect(c.summary).toContain('late failure ****')
  })

  it('rejects a promise later (not exported): CONFIG_APP_FILE_ERROR', async () => {
    const r = await run(
      `setTimeout(() => Promise.reject(new Error('rejected ' + ${JSON.stringify(PW)})), 5)\nmodule.exports = new Promise((resolve) => setTimeout(() => resolve(${CONFIG()}), 200))\n`,
    )
    expect(r.code).toBe(1)
    expect(checkOf(reportOf(r), 'config')).toMatchObject({code: 'CONFIG_APP_FILE_ERROR'})
  })

  it('exports a promise that never settles: CONFIG_APP_FILE_LIMIT after --timeout (not exit 13, not silence)', async () => {
    const r = await run(`module.exports = new Promise(() => {})\n`)
    expect(r.code).toBe(1)
    const c = checkOf(reportOf(r), 'config')
    expect(c).toMatchObject({status: 'fail', code: 'CONFIG_APP_FILE_LIMIT'})
    expect(c.summary).toContain('after 1000 ms')
  })

  it('a connection function that never settles: CONFIG_APP_FILE_LIMIT after --timeout', async () => {
    const r = await run(`module.exports = {development: {client: 'pg', connection: () => new Promise(() => {})}}\n`)
    expect(r.code).toBe(1)
    expect(checkOf(reportOf(r), 'config')).toMatchObject({code: 'CONFIG_APP_FILE_LIMIT'})
  })

  it('calls process.exit(7) while loading: CONFIG_APP_FILE_ERROR, exit 1', async () => {
    const r = await run(`process.exit(7)\nmodule.exports = ${CONFIG()}\n`)
    expect(r.code).toBe(1)
    const c = checkOf(reportOf(r), 'config')
    expect(c).toMatchObject({code: 'CONFIG_APP_FILE_ERROR'})
    expect(c.summary).toContain('process.exit(7)')
  })

  it('a timer calling process.exit(0) during the checks cannot turn a failing run into exit 0', async () => {
    const sockets: net.Socket[] = []
    const silent = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1')
    await new Promise((r) => silent.once('listening', r))
    const port = (silent.address() as net.AddressInfo).port
    try {
      const r = await run(`setTimeout(() => process.exit(0), 300)\nmodule.exports = ${CONFIG(port)}\n`, [
        '--only',
        'config,dns,tcp,postgres',
      ])
      expect(r.code).toBe(1)
      expect(checkOf(reportOf(r), 'postgres').status).toBe('fail')
      // the child that ran the file is gone once its configuration is back: the timer never fires
    } finally {
      sockets.forEach((s) => s.destroy())
      silent.close()
    }
  })
})
