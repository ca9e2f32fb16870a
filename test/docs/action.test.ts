// The composite GitHub Action (action.yml): parsed with the `yaml` package, and its step run
// for real with bash the way the runner runs it — inputs substituted into `env:`, the script
// unchanged — against the real test PostgreSQL. Only `npx` is replaced, by a shim that runs
// this checkout's built CLI instead of downloading the package.
import {spawn} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, inject, it} from 'vitest'
import {parse} from 'yaml'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {BIN, cleanEnv, ROOT} from '../helpers/cli.js'

const pg = inject('pg')
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))
const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-action-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const shim = path.join(dir, 'bin', 'npx')
{
  mkdirSync(path.dirname(shim))
  writeFileSync(
    shim,
    `#!/bin/sh\n# npx --yes db-doctor@VERSION ARGS… → this checkout's CLI with ARGS… (argv noted, URLs masked)\nwhile [ $# -gt 0 ]; do case "$1" in db-doctor@*) shift; break;; *) shift;; esac; done\nfor a in "$@"; do case "$a" in *://*) printf 'postgres://… ';; *) printf '%s ' "$a";; esac; done > ${JSON.stringify(path.join(dir, 'argv'))}\nexec ${JSON.stringify(process.execPath)} -- ${JSON.stringify(BIN)} "$@"\n`,
  )
  chmodSync(shim, 0o755)
}

/** Run the action's step as the runner would, with these inputs. */
function runAction(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const step = action.runs.steps[0]
  const value = (name: string) => inputs[name] ?? action.inputs[name].default
  const expand = (s: string) => s.replace(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g, (_m, name: string) => value(name))
  const env: Record<string, string> = {...cleanEnv(extraEnv), PATH: `${path.dirname(shim)}:${process.env.PATH}`}
  for (const [k, v] of Object.entries(step.env as Record<string, string>)) env[k] = expand(v)
  return new Promise<{code: number | null; stdout: string; stderr: string}>((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {cwd: expand(step['working-directory']) === '.' ? dir : expand(step['working-directory']), env})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

const url = (port = pg.port) =>
  `postgres://${APP_USER}:${CANARY_PASSWORD}@${pg.host}:${port}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`

describe('action.yml', () => {
  it('is a composite action with the documented inputs', () => {
    expect(action.runs.using).toBe('composite')
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['connection', 'strict', 'timeout', 'format']))
    // Inputs reach the script through env only (no ${{ }} inside the script: no injection).
    expect(action.runs.steps[0].run).not.toContain('${{')
    expect(action.runs.steps[0].run).toContain('npx --yes "db-doctor@')
  })

  it('runs db-doctor check with the inputs: healthy, exit 0, the report in the job summary', async () => {
    const summary = path.join(dir, 'summary.md')
    writeFileSync(summary, '')
    const r = await runAction({connection: url(), timeout: '4000'}, {GITHUB_STEP_SUMMARY: summary})
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(path.join(dir, 'argv'), 'utf8')).toMatch(/^check --timeout 4000 --format github postgres:\/\//)
    expect(r.stdout).toMatch(/^::stop-commands::/)
    expect(readFileSync(summary, 'utf8')).toContain('## db-doctor: healthy')
    expect(r.stdout + r.stderr + readFileSync(summary, 'utf8')).not.toContain(CANARY_PASSWORD)
  })

  it('strict and a refused port: the step fails with an ::error annotation', async () => {
    const s = net.createServer()
    await new Promise<void>((resolve) => s.listen(0, pg.host, resolve))
    const port = (s.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => s.close(() => resolve()))
    const r = await runAction({connection: url(port), strict: 'true', format: 'github'})
    expect(r.code).toBe(1)
    expect(readFileSync(path.join(dir, 'argv'), 'utf8')).toContain('--strict')
    expect(r.stdout).toMatch(/^::error title=TCP_REFUSED::/m)
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  })
})
