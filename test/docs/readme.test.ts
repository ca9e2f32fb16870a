// The README stays a page and stays true: at most 250 lines; its two set-up commands are the
// ones .ci/run and the demo use; its explain example is what the built CLI prints for that log
// today; every relative link in it and in docs/ points at a file that exists; LICENSE is the
// license package.json declares. (The check example is compared by test/e2e/seed-story.test.ts,
// the YAML recipes by test/docs/recipes.test.ts.)
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ROOT, runCli} from '../helpers/cli.js'

const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8')
const readme = read('README.md')

/** The lines of the fenced block that starts with `$ <command>` (the command line excluded). */
function exampleAfter(command: string): string {
  const lines = readme.split('\n')
  const start = lines.indexOf(`$ ${command}`)
  expect(start, `README has a block starting with "$ ${command}"`).toBeGreaterThan(0)
  const end = lines.indexOf('```', start)
  return lines.slice(start + 1, end).join('\n') + '\n'
}

describe('README.md', () => {
  it('fits on a page (≤ 250 lines)', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250)
  })

  it('its two set-up commands: the demo, and the test command .ci/run calls', () => {
    expect(readme).toContain('```bash\nnpm ci && npm run build && ./bin/run.js demo\n```')
    expect(readme).toContain('```bash\nnpm ci && npm test\n```')
    expect(read('.ci/run')).toMatch(/npm ci [^\n]*&& npm test\s*$/)
  })

  it('the explain example is what explain prints for that log', async () => {
    const log = [
      'Reading config file /app/drizzle.config.ts',
      'Error: write CONNECT_TIMEOUT db.internal:5432',
      '    at connectTimedOut (/app/node_modules/postgres/src/connection.js:257:20)',
      '',
    ].join('\n')
    const r = await runCli(['explain', '--width', '112'], {input: log})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(exampleAfter('kubectl logs job/migrate | db-doctor explain'))
  })

  it('LICENSE is the license package.json declares', () => {
    const pkg = JSON.parse(read('package.json'))
    expect(pkg.license).toBe('MIT')
    expect(read('LICENSE')).toMatch(/^MIT License\n/)
  })
})

describe('relative links in README.md and docs/*.md', () => {
  const files = [
    'README.md',
    ...readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ]
  for (const file of files) {
    it(`${file}: every relative link resolves`, () => {
      const text = read(file).replace(/^```[\s\S]*?^```$/gm, '') // links inside code blocks are not links
      const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1])
      const broken = targets
        .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
        .map((t) => t.split('#')[0])
        .filter((t) => !existsSync(path.join(ROOT, path.dirname(file), decodeURI(t))))
      expect(broken).toEqual([])
    })
  }
})
