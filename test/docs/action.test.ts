// Distribution, as a newcomer and a GitHub runner meet it, from a FRESH COPY of this repository
// (its tracked and unignored files, no node_modules, no dist):
// - the composite GitHub Action (action.yml, parsed with `yaml`): every step run with bash the way
//   the runner runs it — `${{ inputs.* }}` and `${{ github.action_path }}` substituted, scripts
//   unchanged — so the action installs db-doctor from its own checkout with the lock file, builds
//   it, and checks the real test PostgreSQL. Nothing is fetched by package name.
// - README's install path for an app: `npm pack` in the checkout, `npm i -D` of the tarball in a
//   fresh app folder, then `npx db-doctor`.
// npm installs from its cache when it can (prefer-offline): the packages are those of the lock file.
import {execFileSync, spawn} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {parse} from 'yaml'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {cleanEnv, ROOT} from '../helpers/cli.js'

const pg = inject('pg')
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))
const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-action-'))
const checkout = path.join(dir, 'action')
const workdir = path.join(dir, 'work')
afterAll(() => rm(dir, {recursive: true, force: true}), 300_000)

const npmEnv = {npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false'}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function bash(script: string, cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {cwd, env})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

type Step = {run: string; env?: Record<string, string>; 'working-directory'?: string}

/** Run one step of the action as the runner would, with these inputs. */
function runStep(step: Step, inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<Run> {
  const value = (name: string) => inputs[name] ?? action.inputs[name].default
  const expand = (s: string) =>
    s
      .replace(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g, (_m, name: string) => value(name))
      .replace(/\$\{\{\s*github\.action_path\s*\}\}/g, checkout)
  const env: Record<string, string> = {...cleanEnv({...npmEnv, ...extraEnv}), GITHUB_ACTION_PATH: checkout}
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expand(v)
  const wd = expand(step['working-directory'] ?? '.')
  return bash(step.run, wd === '.' ? workdir : path.resolve(workdir, wd), env)
}

const steps = action.runs.steps as Step[]
const checkStep = steps[steps.length - 1]!

beforeAll(async () => {
  // the repository as a clone has it: tracked files and new unignored ones, nothing built or installed
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {cwd: ROOT, encoding: 'utf8'})
    .split('\0')
    .filter(Boolean)
  for (const f of files) {
    try {
      cpSync(path.join(ROOT, f), path.join(checkout, f))
    } catch {
      // a tracked file deleted in the work tree
    }
  }
  mkdirSync(workdir)
  for (const step of steps.slice(0, -1)) {
    const r = await runStep(step, {})
    if (r.code !== 0) throw new Error(`action step failed (${r.code}): ${r.stderr.slice(-2000)}`)
  }
}, 600_000)

const url = (port = pg.port) =>
  `postgres://${APP_USER}:${CANARY_PASSWORD}@${pg.host}:${port}/${APP_DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`

describe('action.yml', () => {
  it('is a composite action that installs its own checkout: no package fetched by name, no input spliced into a script', () => {
    expect(action.runs.using).toBe('composite')
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['connection', 'strict', 'timeout', 'format']))
    const text = readFileSync(path.join(ROOT, 'action.yml'), 'utf8').replace(/^\s*#.*$/gm, '')
    expect(text).not.toMatch(/\bnpx\b|db-doctor@|npm (?:i|install|exec)\b/)
    for (const step of steps) expect(step.run).not.toContain('${{')
    expect(steps[0]!.run).toContain('npm ci')
    expect(steps[0]!['working-directory']).toBe('${{ github.action_path }}')
  })

  it('runs db-doctor check with the inputs: healthy, exit 0, the report in the job summary', async () => {
    const summary = path.join(dir, 'summary.md')
    writeFileSync(summary, '')
    const r = await runStep(checkStep, {connection: url(), timeout: '4000'}, {GITHUB_STEP_SUMMARY: summary})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^::stop-commands::/)
    expect(readFileSync(summary, 'utf8')).toContain('## db-doctor: healthy')
    expect(r.stdout + r.stderr + readFileSync(summary, 'utf8')).not.toContain(CANARY_PASSWORD)
  })

  it('strict and a refused port: the step fails with an ::error annotation', async () => {
    const s = net.createServer()
    await new Promise<void>((resolve) => s.listen(0, pg.host, resolve))
    const port = (s.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => s.close(() => resolve()))
    const r = await runStep(checkStep, {connection: url(port), strict: 'true', format: 'github'})
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^::error title=TCP_REFUSED::/m)
    expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  })
})

describe("README's install path: a packed tarball installed in the app's folder", () => {
  it('npm pack, npm i -D ./db-doctor-*.tgz, npx db-doctor --version and check', async () => {
    const env = cleanEnv(npmEnv)
    const pack = await bash('npm pack --ignore-scripts --pack-destination ..', checkout, env)
    expect(pack.code, pack.stderr).toBe(0)
    const tarball = readdirSync(dir).find((f) => /^db-doctor-.*\.tgz$/.test(f))!
    expect(tarball).toBeDefined()
    const app = path.join(dir, 'my-app')
    mkdirSync(app)
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({name: 'my-app', private: true, version: '1.0.0'}))
    const install = await bash(`npm i -D --no-audit ../${tarball}`, app, env)
    expect(install.code, install.stderr).toBe(0)
    const version = await bash('npx db-doctor --version', app, env)
    expect(version.code, version.stderr).toBe(0)
    expect(version.stdout).toMatch(/^db-doctor\/\d+\.\d+\.\d+/)
    const check = await bash(`npx db-doctor check "$URL"`, app, {...env, URL: url()})
    expect(check.code, check.stdout + check.stderr).toBe(0)
    expect(check.stdout).toContain(': healthy')
    expect(check.stdout + check.stderr).not.toContain(CANARY_PASSWORD)
  }, 300_000)
})
