// The CLI's own contract: exit code 2 and one clear line when db-doctor is used wrongly.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'

describe('db-doctor check: usage errors exit 2 with one line', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['check', '--bogus'], /Nonexistent flag: --bogus/],
    ['bad --timeout value', ['check', '--timeout', 'soon'], /--timeout.*Expected an integer/],
    ['bad --format value', ['check', '--format', 'xml'], /--format=xml/],
    ['unknown check id', ['check', '--only', 'dns,nope'], /Unknown check id "nope"/],
    ['unreadable --env-file', ['check', '--env-file', '/nonexistent/app.env'], /nonexistent\/app\.env/],
    [
      'unreadable --targets',
      ['check', '--targets', '/nonexistent/targets.txt'],
      /targets file \/nonexistent\/targets\.txt: no such file/,
    ],
    ['--targets a directory', ['check', '--targets', '/tmp'], /targets file \/tmp: it is a directory/],
    ['--all-envs without a knexfile', ['check', '--all-envs'], /--all-envs: no knexfile or sequelize-cli config here/],
    [
      '--all-envs with a --knexfile that is not there',
      ['check', '--all-envs', '--knexfile', '/nonexistent/knexfile.js'],
      /--all-envs: no knexfile here \(\/nonexistent\/knexfile\.js\) \(see db-doctor check --help\)/,
    ],
    [
      'serve: the same line as check, naming the --knexfile',
      ['serve', '--all-envs', '--knexfile', '/nonexistent/knexfile.js'],
      /--all-envs: no knexfile here \(\/nonexistent\/knexfile\.js\) \(see db-doctor serve --help\)/,
    ],
    [
      'serve --all-envs without a config',
      ['serve', '--all-envs'],
      /--all-envs: no knexfile or sequelize-cli config here/,
    ],
    ['bad --output', ['check', '--output', 'junit'], /--output expects FORMAT=PATH/],
    ['bad --concurrency', ['check', '--concurrency', '0'], /--concurrency/],
  ]
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await runCli(args)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/) // no stack trace
      expect(r.stdout).toBe('')
    })
  }

  it('a --targets JSON line that does not parse: exit 2 naming the line, never its content', async () => {
    const secret = 'targets-canary-77c1'
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-targets-'))
    const file = path.join(dir, 'targets.jsonl')
    writeFileSync(
      file,
      `postgres://u:${secret}@127.0.0.1:1/db\n{"name": "b", "connection": "postgres://u:${secret}@h/db"\n`,
    )
    try {
      const r = await runCli(['check', '--targets', file])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain('line 2: not valid JSON')
      expect(r.stdout + r.stderr).not.toContain(secret)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('several CONNECTIONs and a --targets file of plain lines: one fleet report, named user@host:port/db', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-targets-'))
    const file = path.join(dir, 'targets.txt')
    writeFileSync(file, '# fleet\npostgres://c@127.0.0.1:3/db3\n\n')
    try {
      const r = await runCli([
        'check',
        '--only',
        'config',
        '--json',
        'postgres://a@127.0.0.1:1/db1',
        'postgres://b@127.0.0.1:2/db2',
        '--targets',
        file,
        '--concurrency',
        '2',
      ])
      expect(r.code, r.stderr).toBe(0)
      const doc = JSON.parse(r.stdout)
      expect(doc.reports.map((x: {name: string}) => x.name)).toEqual([
        'a@127.0.0.1:1/db1',
        'b@127.0.0.1:2/db2',
        'c@127.0.0.1:3/db3',
      ])
      expect(doc.summary).toEqual({targets: 3, healthy: 3, degraded: 0, failing: 0, verdict: 'healthy'})
      const lines = await runCli(['check', '--only', 'config', '--format', 'jsonl', '--targets', file])
      expect(
        lines.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).name),
      ).toEqual(['c@127.0.0.1:3/db3'])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('--list prints every check id and title', async () => {
    const r = await runCli(['check', '--list'])
    expect(r.code).toBe(0)
    for (const id of ['config', 'dns', 'docker', 'tcp', 'postgres', 'tls', 'ssl-config', 'auth']) {
      expect(r.stdout).toMatch(new RegExp(`^${id}\\s`, 'm'))
    }
    const j = await runCli(['check', '--list', '--json'])
    expect(JSON.parse(j.stdout).checks.map((c: {id: string}) => c.id)).toContain('ssl-config')
  })

  it('--help shows the examples that ship', async () => {
    const r = await runCli(['check', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('db-doctor check --json --strict')
    expect(r.stdout).toContain('Exit codes')
  })

  it('list flags do not swallow the CONNECTION argument that follows them', async () => {
    const r = await runCli([
      'check',
      '--only',
      'config',
      '--dns-server',
      '127.0.0.1:1',
      '--json',
      'postgres://u@127.0.0.1:1/db',
    ])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.target.host).toBe('127.0.0.1')
    expect(report.checks.map((c: {id: string}) => c.id)).toEqual(['config'])
  })

  it("oclif's own error printing does not leak a password (a flag value that echoes the URL)", async () => {
    const secret = 'usage-canary-93b1'
    const r = await runCli(['check', '--timeout', `postgres://u:${secret}@h2/db`])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Expected an integer but received: postgres://u:****@h2/db')
    expect(r.stdout + r.stderr).not.toContain(secret)
  })

  it('a libpq key=value CONNECTION with a quoted password: valid JSON, password nowhere', async () => {
    const secret = 'kv canary 5d2e'
    for (const format of ['json', 'text', 'markdown']) {
      const r = await runCli([
        'check',
        '--timeout',
        '1000',
        '--format',
        format,
        `host=127.0.0.1 port=1 user=u password='${secret}'`,
      ])
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).not.toContain(secret)
      expect(r.stdout + r.stderr).not.toContain('kv canary')
      if (format === 'json') expect(JSON.parse(r.stdout).target.host).toBe('127.0.0.1')
    }
  })
})
