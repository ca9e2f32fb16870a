// What oclif users expect: help and version exit 0, -h is --help, a typo gets "did you mean".
import {describe, expect, it} from 'vitest'
import {planArgv, suggest} from '../../src/cli/argv.js'
import {usageSays} from '../../src/catalogue/usage.js'
import {runCli} from '../helpers/cli.js'

const COMMANDS = ['check', 'explain', 'wait', 'help', 'version']

describe('argv plan (pure)', () => {
  it('rewrites help, version and -h', () => {
    expect(planArgv(['help'], COMMANDS)).toEqual({args: ['--help']})
    expect(planArgv(['help', 'check'], COMMANDS)).toEqual({args: ['check', '--help']})
    expect(planArgv(['version'], COMMANDS)).toEqual({args: ['--version']})
    expect(planArgv(['check', '-h'], COMMANDS)).toEqual({args: ['check', '--help']})
    expect(planArgv(['explain', '--', '-h'], COMMANDS)).toEqual({args: ['explain', '--', '-h']})
    expect(planArgv(['check', '--json'], COMMANDS)).toEqual({args: ['check', '--json']})
  })
  it('a mistyped command is data; the catalogue words it (src/catalogue/usage.ts)', () => {
    const typo = planArgv(['chek', 'postgres://u@h/db'], COMMANDS)
    expect(typo).toEqual({error: {command: 'chek', suggestion: 'check', commands: COMMANDS, via: 'argv'}})
    expect('error' in typo && usageSays.unknownCommand(typo.error)).toBe(
      'command "chek" not found. Did you mean check? Commands: check, explain, wait, help, version (db-doctor --help).',
    )
    const help = planArgv(['help', 'zzzzzz'], COMMANDS)
    expect('error' in help && usageSays.unknownCommand(help.error)).toBe(
      'command "zzzzzz" not found. Commands: check, explain, wait, help, version.',
    )
  })
  it('suggests the closest command', () => {
    expect(suggest('chek', COMMANDS)).toBe('check')
    expect(suggest('wiat', COMMANDS)).toBe('wait')
    expect(suggest('expalin', COMMANDS)).toBe('explain')
    expect(suggest('ex', COMMANDS)).toBe('explain')
    expect(suggest('postgres://u@h/db', COMMANDS)).toBeUndefined()
  })
})

describe('the CLI', () => {
  for (const args of [['help'], ['help', 'check'], ['check', '-h'], ['explain', '-h'], ['--help']]) {
    it(`${args.join(' ')} shows help, exit 0`, async () => {
      const r = await runCli(args)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/USAGE/)
    })
  }
  it('version and --version print the version, exit 0', async () => {
    for (const a of ['version', '--version']) {
      const r = await runCli([a])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^db-doctor\/\d+\.\d+\.\d+/)
    }
  })
  it('a typo: "did you mean check?", exit 2, one line', async () => {
    const r = await runCli(['chek', 'postgres://u@127.0.0.1/db'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Did you mean check?')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stdout).toBe('')
  })
})
