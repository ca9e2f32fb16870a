import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {EnvFileError, loadEnv} from '../../src/config/env.js'
import {filesSays} from '../../src/catalogue/files.js'
import {resolveConfig} from '../../src/config/resolve.js'
import type {ResolvedConfig} from '../../src/config/types.js'
import {redactor} from '../../src/core/redact.js'
import {CANARY_PASSWORD, CANARY_SPECIAL} from '../helpers/constants.js'
import {configProblemSummary, shadowedLabel} from '../../src/catalogue/config.js'
import {sourceWords} from '../../src/catalogue/app-files.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true})
})

function tmpdir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbd-config-'))
  dirs.push(dir)
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  return dir
}

/** Resolve with a real temp folder (and .env), an explicit process env and no ~/.pgpass. */
async function resolve(
  opts: {
    env?: Record<string, string>
    dotenv?: string
    connection?: string
    envFile?: string
    files?: Record<string, string>
  } = {},
) {
  const files = {...opts.files}
  if (opts.dotenv !== undefined) files['.env'] = opts.dotenv
  const cwd = tmpdir(files)
  const processEnv = {USER: 'osuser', HOME: cwd, PGPASSFILE: path.join(cwd, 'no-pgpass'), ...opts.env}
  const loaded = loadEnv({cwd, envFile: opts.envFile, processEnv})
  const config = await resolveConfig({
    words: sourceWords,
    cwd,
    env: loaded.env,
    envFileOf: loaded.envFileOf,
    connection: opts.connection,
  })
  return {config, cwd}
}

const value = (c: ResolvedConfig, f: keyof ResolvedConfig['fields']) => c.fields[f]?.value
const label = (c: ResolvedConfig, f: keyof ResolvedConfig['fields']) => c.fields[f]?.source.label

/** Everything of a ResolvedConfig that may be shown, i.e. all but the field values and the connection string. */
function printable(c: ResolvedConfig): string {
  const fields = Object.fromEntries(Object.entries(c.fields).map(([k, f]) => [k, k === 'password' ? f!.source : f]))
  return JSON.stringify({fields, primary: c.primary, shadowed: c.shadowed, problems: c.problems, notFound: c.notFound})
}

describe('precedence', () => {
  it('the argument beats DATABASE_URL, which is recorded as shadowed', async () => {
    const {config} = await resolve({
      connection: 'postgres://arg@arghost:1111/argdb',
      dotenv: 'DATABASE_URL=postgres://envuser@envhost:2222/envdb\n',
    })
    expect(value(config, 'host')).toBe('arghost')
    expect(label(config, 'host')).toBe('CONNECTION argument')
    expect(config.primary?.kind).toBe('argument')
    expect(config.shadowed.map((s) => s.label)).toEqual(['DATABASE_URL in .env'])
    expect(config.notFound).toBe(false)
  })

  it('DATABASE_URL beats POSTGRES_URL and the DB_* family', async () => {
    const {config} = await resolve({
      env: {POSTGRES_URL: 'postgres://p@phost/pdb', DB_HOST: 'famhost'},
      dotenv: 'DATABASE_URL=postgres://u@dbhost:5433/app\n',
    })
    expect(value(config, 'host')).toBe('dbhost')
    expect(label(config, 'host')).toBe('DATABASE_URL in .env')
    expect(config.fields.host?.source).toEqual({
      kind: 'env-file',
      name: 'DATABASE_URL',
      file: '.env',
      label: 'DATABASE_URL in .env',
    })
    expect(config.shadowed.map((s) => s.label)).toEqual(['POSTGRES_URL (environment)', 'DB_HOST (environment)'])
  })

  it('POSTGRES_URL is used when DATABASE_URL is absent or empty', async () => {
    const {config} = await resolve({env: {DATABASE_URL: '', POSTGRES_URL: 'postgres://p@phost/pdb'}})
    expect(value(config, 'host')).toBe('phost')
    expect(label(config, 'host')).toBe('POSTGRES_URL (environment)')
  })

  for (const prefix of ['DB', 'DATABASE', 'SUPABASE_DB']) {
    it(`the ${prefix}_* family supplies discrete fields with their own variable as provenance`, async () => {
      const {config} = await resolve({
        dotenv: `${prefix}_HOST=famhost\n${prefix}_PORT=6543\n${prefix}_NAME=famdb\n${prefix}_USER=famuser\n${prefix}_PASSWORD=${CANARY_PASSWORD}\n`,
      })
      expect(value(config, 'host')).toBe('famhost')
      expect(value(config, 'port')).toBe('6543')
      expect(value(config, 'database')).toBe('famdb')
      expect(value(config, 'user')).toBe('famuser')
      expect(value(config, 'password')).toBe(CANARY_PASSWORD)
      expect(label(config, 'password')).toBe(`${prefix}_PASSWORD in .env`)
      expect(config.primary?.name).toBe(`${prefix}_*`)
      expect(config.primary?.file).toBe('.env')
    })
  }

  it('the first family with any variable set wins; the others are shadowed', async () => {
    const {config} = await resolve({env: {DATABASE_HOST: 'dbhost', SUPABASE_DB_HOST: 'supa', DB_PORT: '7777'}})
    expect(value(config, 'port')).toBe('7777')
    expect(label(config, 'port')).toBe('DB_PORT (environment)')
    // DB_* set only the port: host comes from the defaults, not from DATABASE_HOST
    expect(value(config, 'host')).toBe('localhost')
    expect(label(config, 'host')).toBe('default')
    expect(config.shadowed.map((s) => s.name)).toEqual(['DATABASE_*', 'SUPABASE_DB_*'])
  })

  it('PG* variables fill what the URL left missing, exactly the ones node-postgres reads', async () => {
    const {config} = await resolve({
      env: {
        PGPORT: '6000',
        PGUSER: 'pguser',
        PGPASSWORD: CANARY_PASSWORD,
        PGSSLMODE: 'require',
        PGAPPNAME: 'app1',
        PGHOST: 'pghost',
        PGSSLROOTCERT: '/x.pem',
      },
      dotenv: 'DATABASE_URL=postgres://urlhost/urldb\n',
    })
    expect(value(config, 'host')).toBe('urlhost')
    expect(value(config, 'database')).toBe('urldb')
    expect(value(config, 'port')).toBe('6000')
    expect(label(config, 'port')).toBe('PGPORT (environment)')
    expect(value(config, 'user')).toBe('pguser')
    expect(value(config, 'password')).toBe(CANARY_PASSWORD)
    expect(label(config, 'password')).toBe('PGPASSWORD (environment)')
    expect(value(config, 'sslmode')).toBe('require')
    expect(value(config, 'application_name')).toBe('app1')
    // node-postgres does not read PGSSLROOTCERT
    expect(config.fields.sslrootcert).toBeUndefined()
  })

  it('PG* alone configures a connection (no CONFIG_NOT_FOUND); empty PG* variables count as unset', async () => {
    const {config} = await resolve({env: {PGHOST: '10.0.0.9', PGPORT: ''}})
    expect(value(config, 'host')).toBe('10.0.0.9')
    expect(value(config, 'port')).toBe('5432')
    expect(config.notFound).toBe(false)
    expect(config.problems).toEqual([])
  })

  it('the process environment wins over the env file, as with dotenv', async () => {
    const {config} = await resolve({
      env: {DATABASE_URL: 'postgres://u@processhost/db'},
      dotenv: 'DATABASE_URL=postgres://u@filehost/db\nPGPORT=6001\n',
    })
    expect(value(config, 'host')).toBe('processhost')
    expect(label(config, 'host')).toBe('DATABASE_URL (environment)')
    expect(label(config, 'port')).toBe('PGPORT in .env')
  })

  it('--env-file is read instead of .env and named in labels', async () => {
    const {config} = await resolve({
      dotenv: 'DATABASE_URL=postgres://u@dothost/db\n',
      files: {'.env.local': 'DATABASE_URL=postgres://u@localhost2/db\n'},
      envFile: '.env.local',
    })
    expect(value(config, 'host')).toBe('localhost2')
    expect(label(config, 'host')).toBe('DATABASE_URL in .env.local')
  })

  it('defaults: localhost, 5432, $USER, database = user, with CONFIG_NOT_FOUND', async () => {
    const {config} = await resolve({files: {'.env.development': 'X=1\n', '.env.example': 'X=1\n'}})
    expect(config.notFound).toBe(true)
    expect(config.primary).toBeNull()
    expect(value(config, 'host')).toBe('localhost')
    expect(value(config, 'port')).toBe('5432')
    expect(value(config, 'user')).toBe('osuser')
    expect(label(config, 'user')).toBe('default (USER)')
    expect(value(config, 'database')).toBe('osuser')
    expect(config.fields.password).toBeUndefined()
    expect(config.problems.map((p) => p.code)).toEqual(['CONFIG_NOT_FOUND'])
    expect(config.problems[0].details).toEqual({otherEnvFiles: ['.env.development']})
  })

  it('the default database follows the effective user (PGUSER), as in node-postgres', async () => {
    const {config} = await resolve({env: {PGUSER: 'alice'}})
    expect(value(config, 'database')).toBe('alice')
    expect(label(config, 'database')).toBe('default (same as user)')
  })

  it('the libpq key=value argument', async () => {
    const {config} = await resolve({
      connection: `host=db port=5433 dbname=app user=u password='${CANARY_PASSWORD}' sslmode=verify-full`,
    })
    expect(value(config, 'host')).toBe('db')
    expect(value(config, 'port')).toBe('5433')
    expect(value(config, 'database')).toBe('app')
    expect(value(config, 'sslmode')).toBe('verify-full')
    expect(label(config, 'sslmode')).toBe('CONNECTION argument')
    expect(config.problems).toEqual([])
  })
})

describe('pgpass', () => {
  it('supplies the password from PGPASSFILE (mode 600), recording the file and line, never the password', async () => {
    const dir = tmpdir()
    const file = path.join(dir, 'pgpass')
    fs.writeFileSync(file, `# comment\nother:5432:*:*:nope-not-this\ndb.internal:5432:app:u:${CANARY_PASSWORD}\n`)
    fs.chmodSync(file, 0o600)
    const {config} = await resolve({env: {PGPASSFILE: file}, dotenv: 'DATABASE_URL=postgres://u@db.internal/app\n'})
    expect(value(config, 'password')).toBe(CANARY_PASSWORD)
    const src = config.fields.password!.source
    expect(src.kind).toBe('pgpass')
    expect(src.name).toBe('PGPASSFILE')
    expect(src.label).toBe(`${file} line 3 (PGPASSFILE)`)
    expect(printable(config)).not.toContain(CANARY_PASSWORD)
    expect(redactor.redact(`x ${CANARY_PASSWORD} y`)).toBe('x **** y')
  })

  it('matches against defaults (localhost, 5432, $USER) and ignores a group-readable file', async () => {
    const dir = tmpdir()
    const file = path.join(dir, 'pgpass')
    fs.writeFileSync(file, `localhost:*:*:osuser:${CANARY_PASSWORD}\n`)
    fs.chmodSync(file, 0o600)
    const ok = await resolve({env: {PGPASSFILE: file}})
    expect(value(ok.config, 'password')).toBe(CANARY_PASSWORD)
    fs.chmodSync(file, 0o644)
    const ignored = await resolve({env: {PGPASSFILE: file}})
    expect(ignored.config.fields.password).toBeUndefined()
  })

  it('~/.pgpass under HOME; PGPASSWORD (even empty) disables it, as in the pgpass module', async () => {
    const home = tmpdir({'.pgpass': `*:*:*:*:${CANARY_PASSWORD}\n`})
    fs.chmodSync(path.join(home, '.pgpass'), 0o600)
    const found = await resolve({env: {HOME: home, PGPASSFILE: ''}})
    expect(found.config.fields.password?.source.label).toBe('~/.pgpass line 1')
    const disabled = await resolve({env: {HOME: home, PGPASSFILE: '', PGPASSWORD: ''}})
    expect(disabled.config.fields.password).toBeUndefined()
  })
})

describe('problems', () => {
  it('CONFIG_PASSWORD_NOT_ENCODED for the special canary (quoted in .env), without any trace of it', async () => {
    const {config} = await resolve({
      dotenv: `DATABASE_URL="postgresql://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb"\n`,
    })
    const p = config.problems[0]
    expect(p.code).toBe('CONFIG_PASSWORD_NOT_ENCODED')
    expect(p.details?.dotenvCut).toBeUndefined()
    expect(p.source.label).toBe('DATABASE_URL in .env')
    expect(configProblemSummary(p)).toMatch(/password in DATABASE_URL in \.env contains/)
    expect(p.details?.maskedUrl).toBe('postgresql://special:****@127.0.0.1:5432/appdb')
    const text = printable(config)
    expect(text).not.toContain(CANARY_SPECIAL)
    expect(text).not.toContain(encodeURIComponent(CANARY_SPECIAL))
    // node-postgres would read host "n" and password "c" (cut at "#"): no such fragment becomes a field
    for (const [name, f] of Object.entries(config.fields))
      if (name !== 'password') expect(CANARY_SPECIAL).not.toContain(f!.value)
    expect(redactor.redact(`pw=${CANARY_SPECIAL}`)).toBe('pw=****')
  })

  it('unquoted in .env, dotenv cuts the URL at "#": CONFIG_PASSWORD_NOT_ENCODED says so, and no trace of the password', async () => {
    const {config} = await resolve({
      dotenv: `DATABASE_URL=postgresql://special:${CANARY_SPECIAL}@127.0.0.1:5432/appdb\n`,
    })
    expect(config.problems.map((p) => p.code)).toEqual(['CONFIG_PASSWORD_NOT_ENCODED'])
    // the fields say what the line meant, not what dotenv + node-postgres made of it
    expect(value(config, 'host')).toBe('127.0.0.1')
    expect(value(config, 'database')).toBe('appdb')
    expect(value(config, 'password')).toBe(CANARY_SPECIAL)
    expect(label(config, 'host')).toBe('DATABASE_URL in .env')
    const p = config.problems[0]
    expect(p.details?.dotenvCut).toBe(true)
    expect(configProblemSummary(p)).toMatch(/dotenv treats everything from "#" on as a comment/)
    expect(p.details?.maskedUrl).toBe('postgresql://special:****@127.0.0.1:5432/appdb')
    const text = printable(config)
    expect(text).not.toContain(CANARY_SPECIAL)
    expect(text).not.toContain('"n"')
    expect(redactor.redact(`pw=${CANARY_SPECIAL}`)).toBe('pw=****')
  })

  it('a "#" elsewhere in an unquoted .env URL: CONFIG_URL_INVALID (cut by dotenv)', async () => {
    const {config} = await resolve({dotenv: 'DATABASE_URL=postgres://u@db/app?application_name=a#b\n'})
    expect(config.problems.map((p) => p.code)).toEqual(['CONFIG_URL_INVALID'])
    expect(config.problems[0].details).toMatchObject({dotenvCut: true})
  })

  it('a "#" that makes node-postgres read part of the password as the port: fields are what the URL meant', async () => {
    const {config} = await resolve({env: {DATABASE_URL: 'postgres://u:12345#secretpart@db/app'}})
    expect(config.problems.map((p) => p.code)).toEqual(['CONFIG_PASSWORD_NOT_ENCODED'])
    expect(value(config, 'host')).toBe('db')
    expect(value(config, 'database')).toBe('app')
    expect(value(config, 'user')).toBe('u')
    expect(value(config, 'port')).toBe('5432')
    expect(label(config, 'port')).toBe('default')
    expect(printable(config)).not.toContain('12345')
    expect(printable(config)).not.toContain('secretpart')
  })

  it('an "@" node-postgres reads as written is CONFIG_PASSWORD_ENCODING_LENIENT naming psql, and the fields are what node-postgres reads', async () => {
    const {config} = await resolve({env: {DATABASE_URL: 'postgres://u:p@ss-word@db:5433/app'}})
    expect(config.problems.map((p) => p.code)).toEqual(['CONFIG_PASSWORD_ENCODING_LENIENT'])
    expect(configProblemSummary(config.problems[0])).toContain(
      'node-postgres (and knex) read it as written, so the app connects; psql, pg_dump and other libpq tools do not with this URL (libpq splits the URL at the first "@"',
    )
    expect(value(config, 'host')).toBe('db')
    expect(value(config, 'password')).toBe('p@ss-word')
  })

  it('CONFIG_URL_INVALID names the source and where it breaks, never the password', async () => {
    const {config} = await resolve({dotenv: `DATABASE_URL=postgres://app:${CANARY_PASSWORD}@db:54x2/app\n`})
    const p = config.problems[0]
    expect(p.code).toBe('CONFIG_URL_INVALID')
    expect(configProblemSummary(p)).toContain('DATABASE_URL in .env')
    expect(configProblemSummary(p)).toContain('port "54x2"')
    expect(p.details?.maskedUrl).toBe('postgres://app:****@db:54x2/app')
    expect(printable(config)).not.toContain(CANARY_PASSWORD)
  })

  it('CONFIG_URL_INVALID for a key=value string in DATABASE_URL and for an unterminated quote in the argument', async () => {
    const kv = await resolve({env: {DATABASE_URL: `host=db password=${CANARY_PASSWORD}`}})
    expect(kv.config.problems[0].code).toBe('CONFIG_URL_INVALID')
    expect(configProblemSummary(kv.config.problems[0])).toMatch(/key=value/)
    expect(printable(kv.config)).not.toContain(CANARY_PASSWORD)
    const arg = await resolve({connection: `host=db password='${CANARY_PASSWORD}`})
    expect(arg.config.problems[0].code).toBe('CONFIG_URL_INVALID')
    expect(arg.config.problems[0].details?.position).toBe(18)
    expect(printable(arg.config)).not.toContain(CANARY_PASSWORD)
    expect(redactor.redact(CANARY_PASSWORD)).toBe('****')
  })

  it('CONFIG_URL_INVALID for a port variable that is not a port', async () => {
    const fam = await resolve({env: {DB_HOST: 'db', DB_PORT: '54 32'}})
    expect(fam.config.problems[0]!.code).toBe('CONFIG_URL_INVALID')
    expect(configProblemSummary(fam.config.problems[0]!)).toBe(
      'The port "54 32" from DB_PORT (environment) is not a number.',
    )
    const pg = await resolve({env: {PGHOST: 'db', PGPORT: '70000'}})
    expect(pg.config.problems[0]!.code).toBe('CONFIG_URL_INVALID')
    expect(configProblemSummary(pg.config.problems[0]!)).toBe(
      'The port 70000 from PGPORT (environment) is out of range (1-65535).',
    )
  })

  it('CONFIG_URL_INVALID for an unexpanded ${VAR}', async () => {
    const {config} = await resolve({dotenv: 'DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@db/app\n'})
    expect(config.problems.map((p) => p.code)).toEqual(['CONFIG_URL_INVALID'])
    expect(config.problems[0].details?.unexpanded).toBe('DB_USER')
  })

  it('CONFIG_SSLMODE_INVALID names the source, with a suggestion', async () => {
    const fromUrl = await resolve({dotenv: 'DATABASE_URL=postgres://u@db/app?sslmode=required\n'})
    expect(fromUrl.config.problems[0]).toMatchObject({
      code: 'CONFIG_SSLMODE_INVALID',
      source: {label: 'DATABASE_URL in .env'},
      details: {value: 'required', suggestion: 'require'},
    })
    const fromEnv = await resolve({env: {PGHOST: 'db', PGSSLMODE: 'VERIFY_FULL'}})
    expect(fromEnv.config.problems[0]).toMatchObject({
      code: 'CONFIG_SSLMODE_INVALID',
      source: {label: 'PGSSLMODE (environment)'},
      details: {suggestion: 'verify-full'},
    })
    for (const ok of ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']) {
      const r = await resolve({env: {PGHOST: 'db', PGSSLMODE: ok}})
      expect(r.config.problems).toEqual([])
    }
  })

  it('URL ssl=<text> node-postgres keeps as a (truthy) string: CONFIG_SSLMODE_INVALID with the mode that was meant', async () => {
    const off = await resolve({dotenv: 'DATABASE_URL=postgres://u@db/app?ssl=false\n'})
    expect(off.config.problems[0]).toMatchObject({
      code: 'CONFIG_SSLMODE_INVALID',
      source: {label: 'DATABASE_URL in .env'},
      details: {param: 'ssl', value: 'false', suggestion: 'sslmode=disable'},
    })
    expect(configProblemSummary(off.config.problems[0])).toContain(`it keeps the text "false", which counts as true`)
    const on = await resolve({connection: 'postgres://u@db/app?ssl=require'})
    expect(on.config.problems[0]).toMatchObject({
      code: 'CONFIG_SSLMODE_INVALID',
      details: {param: 'ssl', value: 'require', suggestion: 'sslmode=verify-full'},
    })
    // what node-postgres understands, and an ssl= string that sslmode/sslrootcert replace with an object
    for (const q of [
      'ssl=true',
      'ssl=1',
      'ssl=0',
      'ssl=no-verify',
      'ssl=false&sslmode=disable',
      'ssl=yes&sslrootcert=/x.pem',
    ]) {
      const r = await resolve({connection: `postgres://u@db/app?${q}`})
      expect(r.config.problems, q).toEqual([])
    }
  })

  it('problems come most severe first', async () => {
    const {config} = await resolve({connection: 'postgres://u:pa#ss@db/app', env: {PGSSLMODE: 'bogus'}})
    expect(config.problems.map((p) => p.code)).toEqual(['CONFIG_PASSWORD_NOT_ENCODED', 'CONFIG_SSLMODE_INVALID'])
  })

  it('a source that throws contributes nothing instead of crashing resolution', async () => {
    const cwd = tmpdir()
    const config = await resolveConfig({words: sourceWords, cwd, env: {PGHOST: 'h'}, envFileOf: () => undefined}, [
      {
        id: 'boom',
        role: 'primary',
        load: () => {
          throw new Error('nope')
        },
      },
      {
        id: 'pg',
        role: 'fill',
        load: (ctx) => ({
          origin: {kind: 'env', name: 'PGHOST', label: 'x'},
          fields: {
            host: {value: ctx.env.PGHOST!, source: {kind: 'env', name: 'PGHOST', label: 'PGHOST (environment)'}},
          },
        }),
      },
    ])
    expect(config.fields.host?.value).toBe('h')
  })

  it('a primary layer with both a connection string and explicit fields: the string decides (node-postgres)', async () => {
    const cwd = tmpdir()
    const src = {kind: 'knexfile' as const, name: 'connection', file: 'knexfile.js', label: 'connection in knexfile.js'}
    const config = await resolveConfig({words: sourceWords, cwd, env: {}, envFileOf: () => undefined}, [
      {
        id: 'fake-knex',
        role: 'primary',
        load: () => ({
          origin: src,
          connectionString: {
            value: 'postgres://u@urlhost/db',
            source: {...src, name: 'connection.connectionString', label: 'connection.connectionString in knexfile.js'},
          },
          fields: {
            host: {
              value: 'objhost',
              source: {...src, name: 'connection.host', label: 'connection.host in knexfile.js'},
            },
            application_name: {value: 'kx', source: src},
          },
          appSsl: {
            value: {rejectUnauthorized: false},
            source: {...src, name: 'connection.ssl', label: 'connection.ssl in knexfile.js'},
          },
        }),
      },
    ])
    expect(config.fields.host?.value).toBe('urlhost')
    expect(config.fields.application_name?.value).toBe('kx')
    expect(shadowedLabel(config.shadowed[0])).toMatch(/connection.host in knexfile.js \(ignored/)
    expect(config.appSsl?.value).toEqual({rejectUnauthorized: false})
  })
})

describe('env file', () => {
  it('an unreadable explicit --env-file throws EnvFileError naming the file, worded by the catalogue', async () => {
    const cwd = tmpdir()
    let thrown: unknown
    try {
      loadEnv({cwd, envFile: 'missing.env', processEnv: {}})
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(EnvFileError)
    const e = thrown as EnvFileError
    expect(e).toMatchObject({file: 'missing.env', reason: {kind: 'errno', code: 'ENOENT'}})
    expect(filesSays.envFileUnreadable(e)).toBe('Cannot read the env file missing.env: no such file')
  })

  it('envFileOf tells which variables the file supplied', () => {
    const cwd = tmpdir({'.env': 'A=1\nB=2\n'})
    const loaded = loadEnv({cwd, processEnv: {B: 'p'}})
    expect(loaded.env.A).toBe('1')
    expect(loaded.env.B).toBe('p')
    expect(loaded.envFileOf('A')).toBe('.env')
    expect(loaded.envFileOf('B')).toBeUndefined()
    expect(loaded.file).toBe('.env')
  })
})
