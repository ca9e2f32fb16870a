// The launch model (src/config/launch.ts): pure reads of package.json, the app's node_modules
// and config files. The real tools' behaviour it models is proven in test/differential/env.test.ts
// (knex, node-pg-migrate); Prisma is not installed here, so its rules are checked on files only.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {loaderIn, resolveLaunch, scriptWithLoader, scriptsRunning, splitCommands} from '../../src/config/launch.js'
import {launchModelledText, loaderBrokenText} from '../../src/catalogue/modelled.js'
import {loadEnv} from '../../src/config/env.js'
import {resolveConfig} from '../../src/config/resolve.js'
import {configOutcome} from '../../src/checks/config.js'
import {redactor} from '../../src/core/redact.js'
import {CANARY_PASSWORD} from '../helpers/constants.js'
import {sourceWords} from '../../src/catalogue/app-files.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

function app(files: Record<string, string>, installed: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-launch-'))
  dirs.push(dir)
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), {recursive: true})
    writeFileSync(path.join(dir, rel), content)
  }
  for (const [name, version] of Object.entries(installed)) {
    mkdirSync(path.join(dir, 'node_modules', name), {recursive: true})
    writeFileSync(path.join(dir, 'node_modules', name, 'package.json'), JSON.stringify({name, version}))
  }
  return dir
}

const pkg = (scripts: Record<string, string>, deps: Record<string, string> = {}) =>
  JSON.stringify({name: 'a', scripts, devDependencies: deps})

describe('script parsing', () => {
  it('splits commands on && || ; | outside quotes', () => {
    expect(splitCommands(`set -a && . ./.env && knex migrate:latest; echo "a && b"`)).toEqual([
      'set -a',
      '. ./.env',
      'knex migrate:latest',
      'echo "a && b"',
    ])
  })

  it('recognises every loader and the file it loads', () => {
    const l = (s: string, dotenv = true) => loaderIn(s, [], dotenv)
    expect(l('node --env-file=.env.local node_modules/.bin/knex migrate:latest')).toMatchObject({
      kind: 'node --env-file',
      file: '.env.local',
    })
    expect(l('node --env-file-if-exists .env x')).toMatchObject({kind: 'node --env-file', file: '.env'})
    expect(l('node -r dotenv/config node_modules/.bin/knex migrate:latest')).toMatchObject({
      kind: 'dotenv preload',
      file: '.env',
    })
    expect(l('node --import dotenv/config x dotenv_config_path=.env.test')).toMatchObject({
      kind: 'dotenv preload',
      file: '.env.test',
    })
    expect(loaderBrokenText(l('node -r dotenv/config x', false)!.broken!)).toContain('dotenv is not installed')
    expect(l('dotenv -e .env.ci -- knex migrate:latest')).toMatchObject({kind: 'dotenv-cli', file: '.env.ci'})
    expect(l('dotenv -- prisma migrate deploy')).toMatchObject({kind: 'dotenv-cli', file: '.env'})
    expect(l('env-cmd -f .env.staging node-pg-migrate up')).toMatchObject({kind: 'env-cmd', file: '.env.staging'})
    expect(l('env-cmd knex migrate:latest')).toMatchObject({kind: 'env-cmd', file: '.env'})
    expect(loaderIn('knex migrate:latest', ['set -a', '. ./.env'], true)).toMatchObject({kind: 'shell', file: '.env'})
    expect(loaderIn('knex migrate:latest', ['export $(cat .env | xargs)'], true)).toMatchObject({
      kind: 'shell',
      file: '.env',
    })
    expect(l('knex migrate:latest')).toBeUndefined()
    expect(l('node scripts/load-knexfile.js')).toBeUndefined()
  })

  it('finds the script that runs the tool, migration commands first, through npm run / yarn / pnpm', () => {
    const scripts = {
      'knex:seed': 'knex seed:run',
      'db:migrate': 'knex migrate:latest',
      migrate: 'dotenv -- npm run db:migrate',
      build: 'tsc',
      test: 'vitest',
    }
    const found = scriptsRunning('knex', scripts, false)
    expect(found.map((s) => s.name)).toEqual(['knex:seed', 'db:migrate', 'migrate'])
    expect(found.find((s) => s.name === 'migrate')?.loader).toMatchObject({kind: 'dotenv-cli'})
    expect(found.find((s) => s.name === 'db:migrate')?.loader).toBeUndefined()
    // "knexfile" is not "knex"
    expect(scriptsRunning('knex', {lint: 'eslint knexfile.js'}, false)).toEqual([])
    expect(
      scriptsRunning('prisma', {gen: 'prisma generate', m: 'pnpm prisma migrate deploy'}, false).map((s) => s.name),
    ).toEqual(['m'])
  })

  it('writes the script line with Node --env-file, keeping the command', () => {
    expect(scriptWithLoader('knex', 'npx knex migrate:latest --env production', '.env')).toBe(
      'node --env-file=.env node_modules/.bin/knex migrate:latest --env production',
    )
    expect(scriptWithLoader('node-pg-migrate', 'node-pg-migrate up -m db/migrations', '.env')).toBe(
      'node --env-file=.env node_modules/.bin/node-pg-migrate up -m db/migrations',
    )
    expect(scriptWithLoader('prisma', 'prisma migrate deploy', '.env')).toBe(
      'node --env-file=.env node_modules/.bin/prisma migrate deploy',
    )
    expect(scriptWithLoader('knex', undefined, '.env')).toBe(
      'node --env-file=.env node_modules/.bin/knex migrate:latest',
    )
  })
})

describe('resolveLaunch', () => {
  it('knex: version installed in the app, its pinned pg-connection-string, the knexfile loading dotenv through a local module', () => {
    const dir = app(
      {
        'package.json': pkg({migrate: 'knex migrate:latest'}),
        'knexfile.js': "module.exports = require('./src/db-config')\n",
        'src/db-config.js':
          "import 'dotenv/config'\nexport default {client: 'pg', connection: process.env.DATABASE_URL}\n",
      },
      {knex: '3.1.0', pg: '8.11.0', dotenv: '16.4.5', 'knex/node_modules/pg-connection-string': '2.6.2'},
    )
    const l = resolveLaunch({
      cwd: dir,
      tool: 'knex',
      knexfile: path.join(dir, 'knexfile.js'),
      envFile: '.env',
      processEnv: {},
    })
    expect(l.installed).toMatchObject({knex: '3.1.0', pg: '8.11.0', dotenv: '16.4.5', knexPgConnectionString: '2.6.2'})
    expect(l.tool).toMatchObject({
      tool: 'knex',
      version: '3.1.0',
      versionSource: 'installed',
      readsEnvFile: true,
      loader: {kind: 'config file', where: path.join('src', 'db-config.js')},
    })
    expect(l.detected).toEqual(['knex'])
  })

  it('knex without package.json script: false when nothing else runs it (by hand), unknown when a CI workflow does; NODE_OPTIONS=-r dotenv/config counts when dotenv is installed', () => {
    const dir = app(
      {'knexfile.js': "module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n"},
      {dotenv: '17.4.2'},
    )
    const knexfile = path.join(dir, 'knexfile.js')
    expect(resolveLaunch({cwd: dir, tool: 'knex', knexfile, envFile: '.env', processEnv: {}}).tool).toMatchObject({
      readsEnvFile: false,
      launchers: [],
    })
    mkdirSync(path.join(dir, '.github', 'workflows'), {recursive: true})
    writeFileSync(
      path.join(dir, '.github', 'workflows', 'ci.yml'),
      'jobs:\n  m:\n    steps:\n      - run: npx knex migrate:latest\n',
    )
    expect(resolveLaunch({cwd: dir, tool: 'knex', knexfile, envFile: '.env', processEnv: {}}).tool).toMatchObject({
      readsEnvFile: 'unknown',
      launchers: ['.github/workflows/ci.yml'],
    })
    const viaOptions = resolveLaunch({
      cwd: dir,
      tool: 'knex',
      knexfile,
      envFile: '.env',
      processEnv: {NODE_OPTIONS: '-r dotenv/config'},
    }).tool
    expect(viaOptions).toMatchObject({
      readsEnvFile: true,
      loader: {kind: 'dotenv preload', where: 'NODE_OPTIONS (environment)'},
    })
    expect(viaOptions?.version).toBe('3.3.0')
    expect(viaOptions?.versionSource).toBe('assumed (not installed in the app)')
  })

  it('node-pg-migrate: --envPath names the file it loads', () => {
    const dir = app(
      {'package.json': pkg({migrate: 'node-pg-migrate up --envPath .env.migrations'}, {'node-pg-migrate': '^8.0.0'})},
      {dotenv: '17.4.2'},
    )
    const t = resolveLaunch({cwd: dir, tool: 'node-pg-migrate', envFile: '.env', processEnv: {}}).tool
    expect(t).toMatchObject({
      version: '8.0.0',
      versionSource: 'declared in package.json',
      readsEnvFile: false,
      loader: {file: '.env.migrations'},
    })
  })

  it('Prisma 6 reads .env unless prisma.config.ts exists; Prisma 7 never; prisma.config.ts with dotenv/config does', () => {
    const schema = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'
    const p6 = app(
      {'prisma/schema.prisma': schema, 'package.json': pkg({migrate: 'prisma migrate deploy'})},
      {prisma: '6.19.0'},
    )
    expect(resolveLaunch({cwd: p6, tool: 'prisma', envFile: '.env', processEnv: {}}).tool).toMatchObject({
      version: '6.19.0',
      readsEnvFile: true,
      loader: {kind: 'the tool (Prisma 6)'},
    })
    const p6cfg = app(
      {
        'prisma/schema.prisma': schema,
        'prisma.config.ts': "export default {schema: 'prisma/schema.prisma'}\n",
        'package.json': pkg({migrate: 'prisma migrate deploy'}),
      },
      {prisma: '6.19.0'},
    )
    const t6 = resolveLaunch({cwd: p6cfg, tool: 'prisma', envFile: '.env', processEnv: {}}).tool
    expect(t6?.readsEnvFile).toBe(false)
    expect(launchModelledText(t6!.modelled)).toContain('Prisma 6 skips .env because prisma.config.ts exists')
    const p7 = app({
      'prisma/schema.prisma': schema,
      'package.json': pkg({migrate: 'prisma migrate deploy'}, {prisma: '^7.1.0'}),
    })
    const t7 = resolveLaunch({cwd: p7, tool: 'prisma', envFile: '.env', processEnv: {}}).tool
    expect(t7).toMatchObject({version: '7.1.0', readsEnvFile: false})
    expect(launchModelledText(t7!.modelled)).toContain('Prisma 7 never reads .env itself')
    const p7dotenv = app(
      {
        'prisma.config.ts': "import 'dotenv/config'\nexport default {}\n",
        'package.json': pkg({migrate: 'prisma migrate deploy'}),
      },
      {prisma: '7.0.1'},
    )
    expect(resolveLaunch({cwd: p7dotenv, tool: 'prisma', envFile: '.env', processEnv: {}}).tool?.readsEnvFile).toBe(
      true,
    )
  })

  it('a password written inline in a script is registered with the redactor', () => {
    const dir = app({
      'package.json': pkg({
        migrate: `PGPASSWORD=${CANARY_PASSWORD} DATABASE_URL=postgres://app:${CANARY_PASSWORD}@db/app knex migrate:latest`,
      }),
    })
    resolveLaunch({cwd: dir, tool: 'knex', envFile: '.env', processEnv: {}})
    expect(redactor.redact(`x ${CANARY_PASSWORD} y`)).not.toContain(CANARY_PASSWORD)
  })
})

describe('CONFIG_ENV_FILE_NOT_LOADED from the files of a Prisma 7 app (modelled: Prisma is not installed here)', () => {
  it('the URL only in .env, Prisma 7, prisma.config.ts without dotenv: fail, with the script line', async () => {
    const dir = app(
      {
        'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
        'prisma.config.ts':
          "import {defineConfig, env} from 'prisma/config'\nexport default defineConfig({schema: 'prisma/schema.prisma', datasource: {url: env('DATABASE_URL')}})\n",
        '.env': `DATABASE_URL=postgres://app:${CANARY_PASSWORD}@127.0.0.1:5432/appdb\n`,
        'package.json': pkg({'db:deploy': 'prisma migrate deploy'}),
      },
      {prisma: '7.0.0'},
    )
    const loaded = loadEnv({cwd: dir, processEnv: {}})
    const config = await resolveConfig({words: sourceWords, cwd: dir, env: loaded.env, envFileOf: loaded.envFileOf})
    expect(config.launch?.tool).toMatchObject({tool: 'prisma', version: '7.0.0', readsEnvFile: false})
    const outcome = configOutcome(config)
    expect(outcome.status).toBe('fail')
    expect(outcome.code).toBe('CONFIG_ENV_FILE_NOT_LOADED')
    expect(outcome.summary).toContain('DATABASE_URL comes only from .env')
    expect(outcome.fix?.snippet?.code).toContain(
      '"db:deploy": "node --env-file=.env node_modules/.bin/prisma migrate deploy"',
    )
    expect(outcome.fix?.steps.join('\n')).toContain("import 'dotenv/config'")
    expect(JSON.stringify(outcome)).not.toContain(CANARY_PASSWORD)
  })
})
