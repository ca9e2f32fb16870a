// When db-doctor runs the app's code (docs/app-code.md): a knexfile in a PARENT folder (a shared
// /tmp, anyone can write there) runs only when the knex CLI started in the working folder would
// run it, and never when the connection comes from the command line or the environment unless
// the tool is named or declared here. The knexfile under test leaves a marker file when it runs.
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'

const root = mkdtempSync(join(tmpdir(), 'dbd-appcode-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

const SECRET = 'Parent-Argv-Secret-93'

/** A shared parent folder with a knexfile that writes `marker` (its argv and env) when it runs. */
function sharedParent(): {parent: string; cwd: string; marker: string} {
  const parent = mkdtempSync(join(root, 'shared-'))
  const marker = join(parent, 'marker.json')
  writeFileSync(
    join(parent, 'knexfile.js'),
    `require('fs').writeFileSync(${JSON.stringify(marker)}, JSON.stringify({argv: process.argv, env: process.env}))\n` +
      `module.exports = {client: 'pg', connection: 'postgres://app@127.0.0.1:1/fromparent'}\n`,
  )
  const cwd = join(parent, 'project')
  mkdirSync(cwd)
  return {parent, cwd, marker}
}

describe('a knexfile in a parent folder', () => {
  it('does not run with an explicit URL, with --only dns, with DATABASE_URL, or with nothing and no knex here', async () => {
    const {cwd, marker} = sharedParent()
    const url = `postgres://app:${SECRET}@127.0.0.1:1/db`
    const runs = await Promise.all([
      runCli(['check', '--only', 'config', '--json', url], {cwd}),
      runCli(['check', '--only', 'dns', '--json', url], {cwd}),
      runCli(['check', '--only', 'config', '--json'], {cwd, env: {DATABASE_URL: url}}),
      runCli(['check', '--only', 'config', '--json'], {cwd}),
    ])
    for (const r of runs) {
      expect([0, 1], r.stderr).toContain(r.code)
      expect(r.stdout).not.toContain('fromparent')
    }
    expect(existsSync(marker)).toBe(false)
  })

  it('runs when the knex CLI started here would run it: a package.json script runs knex in this folder', async () => {
    const {cwd, marker} = sharedParent()
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({scripts: {migrate: 'knex migrate:latest'}}))
    const r = await runCli(['check', '--only', 'config', '--json'], {cwd})
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(marker)).toBe(true)
    expect(JSON.parse(r.stdout).target.database).toBe('fromparent')
  })

  it('runs with --tool knex even when the URL is given, and the password is not in its argv or environment', async () => {
    const {cwd, marker} = sharedParent()
    const r = await runCli(
      ['check', '--only', 'config', '--json', '--tool', 'knex', `postgres://app:${SECRET}@127.0.0.1:1/db`],
      {
        cwd,
      },
    )
    expect([0, 1], r.stderr).toContain(r.code)
    expect(existsSync(marker)).toBe(true)
    expect(readFileSync(marker, 'utf8')).not.toContain(SECRET)
  })
})

describe('a knexfile runs in a child with limits', () => {
  /** Is a process still there? */
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }

  it('a synchronous endless loop is stopped at the budget: CONFIG_APP_FILE_LIMIT, exit 1, the child is gone', async () => {
    const cwd = mkdtempSync(join(root, 'loop-'))
    const pidFile = join(cwd, 'pid')
    writeFileSync(
      join(cwd, 'knexfile.js'),
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid))\nconsole.log('about to spin')\nfor (;;) {}\n`,
    )
    const r = await runCli(['check', '--only', 'config', '--json', '--timeout', '1000'], {cwd})
    expect(r.code, r.stderr).toBe(1)
    const config = JSON.parse(r.stdout).checks[0]
    expect(config.code).toBe('CONFIG_APP_FILE_LIMIT')
    expect(config.evidence.problem.budgetMs).toBe(1000)
    expect(config.summary).toMatch(/still running after 1000 ms/)
    expect(r.stderr).toContain('[knexfile.js] about to spin') // what it printed, captured and shown
    // start-up (Node, the transpiler) is outside the budget; a loaded 2-core machine needs room
    expect(r.ms).toBeLessThan(25_000)
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false)
  })

  it('a knexfile that allocates without bound is stopped at the memory cap', async () => {
    const cwd = mkdtempSync(join(root, 'mem-'))
    writeFileSync(join(cwd, 'knexfile.js'), `const keep = []\nfor (;;) keep.push(Buffer.alloc(32 * 1024 * 1024, 1))\n`)
    const r = await runCli(['check', '--only', 'config', '--json', '--timeout', '60000'], {cwd, timeoutMs: 90_000})
    expect(r.code, r.stderr).toBe(1)
    const config = JSON.parse(r.stdout).checks[0]
    expect(config.code).toBe('CONFIG_APP_FILE_LIMIT')
    expect(config.evidence.problem.memoryCapMiB).toBeGreaterThan(0)
    expect(config.summary).toMatch(/MiB of memory/)
    expect(r.ms).toBeLessThan(60_000)
  })

  it('process.exit in the knexfile fails the load, not db-doctor; ssl Buffers and a no-op checkServerIdentity survive', async () => {
    const cwd = mkdtempSync(join(root, 'exit-'))
    writeFileSync(join(cwd, 'knexfile.js'), `process.exit(0)\n`)
    const exit = await runCli(['check', '--only', 'config', '--json'], {cwd})
    expect(exit.code, exit.stderr).toBe(1)
    expect(JSON.parse(exit.stdout).checks[0].summary).toMatch(/process\.exit\(0\)/)

    const ok = mkdtempSync(join(root, 'ssl-'))
    writeFileSync(
      join(ok, 'knexfile.js'),
      `module.exports = {client: 'pg', connection: async () => ({host: '127.0.0.1', port: 1, user: 'u', database: 'fromfn', ssl: {ca: Buffer.from('-----BEGIN CERTIFICATE-----'), checkServerIdentity: () => undefined}})}\n`,
    )
    const r = await runCli(['check', '--only', 'config', '--json', '-v'], {cwd: ok})
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.target.database).toBe('fromfn')
  })
})

// TypeORM's data source, sequelize-cli's .sequelizerc / config.js, prisma.config.ts and
// drizzle.config.ts run in the
// same child as a knexfile: each leaves a marker (its argv and environment), then spins for ever.
describe("the other tools' app files run in the same child with limits", () => {
  const spin = (marker: string) =>
    `require('fs').writeFileSync(${JSON.stringify(marker)}, JSON.stringify({argv: process.argv, env: process.env}))\n` +
    `console.log('about to spin')\nfor (;;) {}\n`
  const projects: Array<{tool: string; file: string; files: (marker: string) => Record<string, string>}> = [
    {tool: 'TypeORM CLI', file: 'data-source.ts', files: (m) => ({'data-source.ts': spin(m)})},
    {
      tool: 'sequelize-cli',
      file: 'config/config.js',
      files: (m) => ({
        'package.json': JSON.stringify({scripts: {migrate: 'sequelize-cli db:migrate'}}),
        'config/config.js': spin(m),
      }),
    },
    {tool: 'sequelize-cli', file: '.sequelizerc', files: (m) => ({'.sequelizerc': spin(m)})},
    {tool: 'Prisma CLI', file: 'prisma.config.ts', files: (m) => ({'prisma.config.ts': spin(m)})},
    {tool: 'drizzle-kit CLI', file: 'drizzle.config.ts', files: (m) => ({'drizzle.config.ts': spin(m)})},
  ]

  it('a synchronous loop in each ends at the budget (CONFIG_APP_FILE_LIMIT); the password of the URL is in neither argv nor env', async () => {
    const url = `postgres://app:${SECRET}@127.0.0.1:1/db`
    // every file without a URL (the finding), two loaders with the URL in argv (argv and env); 4 at a time
    const jobs = [
      ...projects.map((p) => ({p, args: [] as string[]})),
      ...projects.filter((p) => /data-source|config\.js/.test(p.file)).map((p) => ({p, args: [url]})),
    ]
    const runs: Array<{
      p: (typeof projects)[number]
      marker: string
      r: Awaited<ReturnType<typeof runCli>>
      withUrl: boolean
    }> = []
    for (let i = 0; i < jobs.length; i += 4)
      runs.push(
        ...(await Promise.all(
          jobs.slice(i, i + 4).map(async ({p, args}) => {
            const cwd = mkdtempSync(join(root, 'tool-'))
            const marker = join(cwd, 'marker.json')
            for (const [name, text] of Object.entries(p.files(marker))) {
              mkdirSync(join(cwd, name, '..'), {recursive: true})
              writeFileSync(join(cwd, name), text)
            }
            const r = await runCli(['check', '--only', 'config', '--json', '--timeout', '1000', ...args], {
              cwd,
              timeoutMs: 60_000,
            })
            return {p, marker, r, withUrl: args.length > 0}
          }),
        )),
      )
    for (const {p, marker, r, withUrl} of runs) {
      const what = `${p.file}${withUrl ? ' with a URL' : ''}: ${r.stderr}`
      expect(r.stderr, what).toContain(`[${p.file}] about to spin`) // it ran, its output captured
      expect(r.ms, what).toBeLessThan(40_000) // four runs at once on a loaded 2-core machine
      expect(readFileSync(marker, 'utf8'), what).not.toContain(SECRET)
      if (withUrl) {
        expect(r.code, what).toBe(0) // the CONNECTION argument is what is tested
        continue
      }
      expect(r.code, what).toBe(1)
      const config = JSON.parse(r.stdout).checks[0]
      expect(config.code, what).toBe('CONFIG_APP_FILE_LIMIT')
      expect(config.summary, what).toMatch(
        new RegExp(`^${p.file}( \\(environment development\\))? was still running after 1000 ms`),
      )
      expect(config.summary, what).toContain(`the ${p.tool} would hang`)
    }
  }, 120_000)
})
