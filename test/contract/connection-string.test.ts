// Structure: one connection-string module, targets resolved once.
//   - no check imports a parser (connection strings, URLs, the client config, the SSL analysis,
//     the password file): checks read the resolved target (config/target.ts);
//   - each list (sslmodes, ssl parameters, secret keywords, the default port) is written once, in
//     the connection-string module (config/connection-string.ts + config/connection-keywords.ts).
import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

function tsFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of fs.readdirSync(path.join(ROOT, dir), {withFileTypes: true})) {
    const rel = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...tsFiles(rel))
    else if (entry.name.endsWith('.ts')) out.push(rel)
  }
  return out
}

/** The source without comments (so that a comment naming a function is no import of it). */
function code(file: string): string {
  return fs
    .readFileSync(path.join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
}

const PARSERS = [
  'parseConnectionString',
  'parseUrl',
  'parseKeyValue',
  'tokenizeKeyValue',
  'pgUrlParams',
  'keyValueParams',
  'connectionParams',
  'pgConnectionStringParse',
  'splitUrl',
  'analyzeSsl',
  'resolvePgClientConfig',
  'toPgClientConfig',
  'inspectPgpass',
  'urlParserModel',
]

/** The connection-string module, and the secret keywords it shares with the redaction (core is the lowest layer). */
const MODULE = new Set(['src/config/connection-string.ts', 'src/config/connection-keywords.ts', 'src/core/secrets.ts'])

describe('checks read the resolved target, never a parser', () => {
  const checks = tsFiles('src/checks')

  it('finds the checks', () => {
    expect(checks.length).toBeGreaterThan(10)
  })

  for (const file of checks) {
    it(file, () => {
      const text = code(file)
      const imports = [...text.matchAll(/import\s*(?!type\b)\{([^}]*)\}\s*from\s*'([^']+)'/g)]
      for (const [, names, from] of imports) {
        const imported = names!.split(',').map(
          (n) =>
            n
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)[0],
        )
        for (const name of PARSERS) expect(imported, `${file} imports ${name} from ${from}`).not.toContain(name)
        expect(from, file).not.toBe('pg-connection-string')
      }
      for (const m of text.matchAll(/await import\('([^']+)'\)/g)) {
        expect(
          ['../config/pg-config.js', '../config/ssl.js', '../config/pgpass.js', '../config/url-parser.js'],
          `${file} loads ${m[1]}`,
        ).not.toContain(m[1])
      }
      expect(text, `${file} parses a URL itself`).not.toMatch(/new URL\(|URLSearchParams/)
      expect(text, `${file}: Unix sockets are isUnixSocketHost()`).not.toMatch(/startsWith\('\/'\)/)
    })
  }
})

describe('each list is written once, in the connection-string module', () => {
  const files = tsFiles('src').filter((f) => !MODULE.has(f))
  const MODES = '(?:disable|allow|prefer|require|verify-ca|verify-full|no-verify)'
  const SSL = '(?:ssl|sslmode|sslrootcert|sslcert|sslkey|sslnegotiation|uselibpqcompat)'
  const rules: Array<[string, RegExp]> = [
    ['a list of sslmodes', new RegExp(`\\[\\s*'${MODES}'\\s*,\\s*'${MODES}'`)],
    ['a list of ssl parameters', new RegExp(`\\[\\s*'${SSL}'\\s*,\\s*'${SSL}'`)],
    ['a secret keyword other than password', /'(?:sslpassword|scram_client_key|scram_server_key|oauth_client_secret)'/],
    ['the default port', /\?\?\s*'?5432\b|=\s*'?5432'?\s*(?:;|$)|value:\s*'5432'|assignment\([^)]*'5432'\)/m],
  ]
  for (const [what, re] of rules) {
    it(`no file but the module writes ${what}`, () => {
      const offenders = files.filter((f) => re.test(code(f)))
      expect(offenders).toEqual([])
    })
  }
})
