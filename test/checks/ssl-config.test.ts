import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {sslConfigCheck} from '../../src/checks/ssl-config.js'
import {loadEnv} from '../../src/config/env.js'
import {resolveConfig} from '../../src/config/resolve.js'
import type {Facts} from '../../src/core/facts.js'
import {redactor} from '../../src/core/redact.js'
import type {CheckOutcome} from '../../src/core/types.js'
import type {CheckContext} from '../../src/checks/types.js'
import {sourceWords} from '../../src/catalogue/app-files.js'

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures')
const CANARY = 'canary-Pw-7f3a9c1e'
const HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-home-')) // no ~/.postgresql/root.crt
const tmp: string[] = [HOME]
afterAll(() => {
  for (const d of tmp) {
    fs.chmodSync(d, 0o755)
    fs.rmSync(d, {recursive: true, force: true})
  }
})

async function run(
  cwd: string,
  opts: {facts?: Facts; processEnv?: NodeJS.ProcessEnv; knexEnv?: string; connection?: string} = {},
) {
  const loaded = loadEnv({cwd, processEnv: {HOME, ...opts.processEnv}})
  const config = await resolveConfig({
    cwd,
    env: loaded.env,
    envFileOf: loaded.envFileOf,
    knexEnv: opts.knexEnv,
    connection: opts.connection,
    words: sourceWords, // the app's words for labels, as app/diagnose.ts passes them
  })
  const ctx: CheckContext = {
    config,
    env: loaded.env,
    cwd,
    options: {timeoutMs: 1000, verbose: false, dnsServers: [], knexEnv: opts.knexEnv},
    facts: opts.facts ?? {},
    results: new Map(),
  }
  const outcome = await sslConfigCheck.run(ctx)
  // what the runner does before anything is printed
  const printed = redactor.redactValue(outcome)
  expect(JSON.stringify(printed)).not.toContain(CANARY)
  expect(JSON.stringify(outcome)).not.toContain(CANARY)
  return outcome
}

function findingCodes(o: CheckOutcome): string[] {
  return ((o.evidence.findings as Array<{code: string}>) ?? []).map((f) => f.code)
}

describe('ssl-config check', () => {
  it('declares its id, title and prerequisite', () => {
    expect(sslConfigCheck.id).toBe('ssl-config')
    expect(sslConfigCheck.title).toBe('SSL settings (node-postgres vs libpq)')
    expect(sslConfigCheck.requires).toEqual(['config'])
  })

  it('seed story without TLS facts: SSL_CONFIG_CONFLICT warns (dead config), names file, environment and setting', async () => {
    const o = await run(path.join(FIX, 'knex-seed'))
    expect(o.status).toBe('warn')
    expect(o.code).toBe('SSL_CONFIG_CONFLICT')
    expect(o.summary).toContain('knexfile.cjs (development environment)')
    expect(o.summary).toContain('sslmode=require in DATABASE_URL in .env replaces it')
    expect(findingCodes(o)).toEqual(['SSL_CONFIG_CONFLICT', 'SSLMODE_VERIFY_SEMANTICS'])
    expect(o.evidence.appSsl).toEqual({
      setting: 'ssl: { rejectUnauthorized: false }',
      source: 'knexfile.cjs (development) connection.ssl',
    })
    expect(o.evidence.comparison).toContainEqual({setting: 'verify chain', nodePostgres: 'yes', libpq: 'no'})
    expect(o.evidence.comparison).toContainEqual({setting: 'encrypt', nodePostgres: 'yes', libpq: 'yes'})
  })

  it('seed story with the tls facts (chain does not verify as the app verifies): FAIL with both fix shapes', async () => {
    // ctx.facts.tls as the tls check writes it for a server presenting leaf ← self-signed root
    const tls = {
      used: true,
      offered: true,
      verifies: true,
      verifiedAsApp: false,
      failureCode: 'TLS_SELF_SIGNED_CHAIN',
      problems: ['TLS_SELF_SIGNED_CHAIN'],
      trustStore: "Node's bundled CAs",
      chain: [
        {subject: 'CN=127.0.0.1', issuer: 'CN=Seed Root CA', notAfter: '2030-01-01T00:00:00Z', selfSigned: false},
        {subject: 'CN=Seed Root CA', issuer: 'CN=Seed Root CA', notAfter: '2030-01-01T00:00:00Z', selfSigned: true},
      ],
    }
    const o = await run(path.join(FIX, 'knex-seed'), {facts: {tls}})
    expect(o.status).toBe('fail')
    expect(o.code).toBe('SSL_CONFIG_CONFLICT')
    expect(o.summary).toMatch(
      /psql connects; your Node app will not, because node-postgres treats sslmode=require .* as verify-full/,
    )
    expect(o.evidence.chainVerifiesAsApp).toBe(false)
    expect(o.summary).toContain(
      `the server's chain ends in the self-signed root "CN=Seed Root CA", which Node's built-in CA list does not contain (TLS_SELF_SIGNED_CHAIN)`,
    )
    const steps = o.fix!.steps.join('\n')
    expect(steps).toContain(
      'DATABASE_URL=postgres://app:****@127.0.0.1:5432/appdb?sslmode=verify-full&sslrootcert=./ca.pem',
    )
    expect(steps).toContain('DATABASE_URL=postgres://app:****@127.0.0.1:5432/appdb (snippet below)')
    expect(o.fix!.snippet?.code).toContain("ssl: { ca: fs.readFileSync('ca.pem', 'utf8'), rejectUnauthorized: true }")
    expect(o.fix!.snippet?.code).toContain('knexfile.cjs (development)')
  })

  it('production environment of the seed knexfile: no conflict (no URL), ssl: true verifies like verify-full', async () => {
    const o = await run(path.join(FIX, 'knex-seed'), {knexEnv: 'production'})
    expect(o.status).toBe('pass')
    expect(o.evidence.comparison).toContainEqual({setting: 'encrypt', nodePostgres: 'yes', libpq: 'try'})
  })

  it('SSLMODE_VERIFY_SEMANTICS: sslmode=require with node-postgres, and the uselibpqcompat switch', async () => {
    const o = await run(path.join(FIX, 'ssl-require'))
    expect(o.status).toBe('warn')
    expect(o.code).toBe('SSLMODE_VERIFY_SEMANTICS')
    expect(o.summary).toMatch(/sslmode=require \(DATABASE_URL in \.env\) means verify-full in node-postgres/)
    expect(o.fix!.steps.join(' ')).toContain('uselibpqcompat=true&sslmode=require')
    expect(o.fix!.snippet).toEqual({
      language: 'dotenv',
      code: 'DATABASE_URL=postgres://app:****@127.0.0.1:5432/appdb?sslmode=verify-full',
    })
  })

  it('SSLMODE_VERIFY_SEMANTICS for a node-pg-migrate project (sslmode=verify-ca in its --database-url-var)', async () => {
    const o = await run(path.join(FIX, 'node-pg-migrate-app'))
    expect(o.code).toBe('SSLMODE_VERIFY_SEMANTICS')
    expect(o.summary).toContain(
      'sslmode=verify-ca (MIGRATIONS_DATABASE_URL in .env (read by node-pg-migrate)) means verify-full',
    )
    expect(o.fix!.snippet!.code).toBe(
      'MIGRATIONS_DATABASE_URL=postgres://mig:****@127.0.0.1:5439/migdb?sslmode=verify-full',
    )
  })

  it('SSLMODE_VERIFY_SEMANTICS also for PGSSLMODE=require (pg turns it into ssl: true)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-pgssl-'))
    tmp.push(dir)
    const o = await run(dir, {processEnv: {PGHOST: '127.0.0.1', PGSSLMODE: 'require'}})
    expect(o.code).toBe('SSLMODE_VERIFY_SEMANTICS')
    expect(o.summary).toContain('PGSSLMODE=require (PGSSLMODE (environment))')
  })

  it('SSL_VERIFICATION_DISABLED: sslmode=no-verify and NODE_TLS_REJECT_UNAUTHORIZED=0', async () => {
    const o = await run(path.join(FIX, 'ssl-no-verify'))
    expect(o.status).toBe('warn')
    expect(o.code).toBe('SSL_VERIFICATION_DISABLED')
    expect(o.summary).toMatch(
      /^sslmode=no-verify \(DATABASE_URL in \.env\) encrypts without verifying .*\(man-in-the-middle\)/,
    )
    const f = o.evidence.findings as Array<{code: string; setting: string}>
    expect(f.map((x) => x.setting)).toEqual([
      'sslmode=no-verify',
      expect.stringMatching(/^NODE_TLS_REJECT_UNAUTHORIZED=0/),
    ])
    expect(o.evidence.difference).toMatch(/^psql will not connect: libpq rejects sslmode=no-verify/)
  })

  it('SSL_VERIFICATION_DISABLED from a knexfile object (rejectUnauthorized: false) when the URL has no ssl params', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-knexobj-'))
    tmp.push(dir)
    fs.copyFileSync(path.join(FIX, 'knex-seed', 'knexfile.cjs'), path.join(dir, 'knexfile.cjs'))
    fs.writeFileSync(path.join(dir, '.env'), `DATABASE_URL=postgres://app:${CANARY}@127.0.0.1:5432/appdb\n`)
    const o = await run(dir)
    expect(o.code).toBe('SSL_VERIFICATION_DISABLED')
    expect(o.summary).toContain('rejectUnauthorized: false (knexfile.cjs (development) connection.ssl)')
  })

  it('conflict, non-object flavour: sslmode=disable in the URL replaces ssl: true (warn, dead config)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-ssltrue-'))
    tmp.push(dir)
    fs.writeFileSync(
      path.join(dir, 'knexfile.js'),
      "module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: true}}\n",
    )
    fs.writeFileSync(
      path.join(dir, '.env'),
      `DATABASE_URL=postgres://app:${CANARY}@127.0.0.1:5432/appdb?sslmode=disable\n`,
    )
    const o = await run(dir)
    expect(o.status).toBe('warn')
    expect(o.code).toBe('SSL_CONFIG_CONFLICT')
    expect(o.summary).toMatch(
      /^The ssl setting \(ssl: true\) in knexfile\.js is dead configuration: sslmode=disable in DATABASE_URL in \.env replaces it, so node-postgres connects without TLS and verifies nothing\.$/,
    )
    expect(o.evidence.comparison).toContainEqual({setting: 'encrypt', nodePostgres: 'no', libpq: 'no'})
  })

  it('conflict from a function connection: sslmode=no-verify replaces {rejectUnauthorized: true} (dead config) + verification disabled', async () => {
    const o = await run(path.join(FIX, 'knex-function'))
    expect(o.code).toBe('SSL_CONFIG_CONFLICT')
    expect(o.status).toBe('warn')
    expect(findingCodes(o)).toEqual(['SSL_CONFIG_CONFLICT', 'SSL_VERIFICATION_DISABLED'])
    expect(o.summary).toContain('APP_DB_URL in .env')
  })

  it('SSL_CERT_FILE_UNREADABLE: an sslrootcert that does not exist', async () => {
    const cwd = path.join(FIX, 'ssl-missing-cert')
    const o = await run(cwd)
    expect(o.status).toBe('fail')
    expect(o.code).toBe('SSL_CERT_FILE_UNREADABLE')
    expect(o.summary).toContain(
      `./certs/missing-ca.pem (→ ${path.join(cwd, 'certs', 'missing-ca.pem')}) from DATABASE_URL in .env does not exist (ENOENT)`,
    )
    expect(o.summary).toContain('node-postgres reads it while connecting and throws')
  })

  it('SSL_CERT_FILE_UNREADABLE: a space in the URL leaves "%2F" in sslrootcert undecoded, and the fix says so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-escaped-'))
    tmp.push(dir)
    const ca = path.join(dir, 'ca.pem')
    fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n')
    const o = await run(dir, {
      connection: `postgres://app:${CANARY}^ x@127.0.0.1/appdb?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`,
    })
    expect(o.code).toBe('SSL_CERT_FILE_UNREADABLE')
    expect(o.summary).toContain(`The sslrootcert file ${encodeURIComponent(ca)}`)
    expect(o.fix?.steps[0]).toBe(
      `The name still holds percent-escapes: node-postgres read "${encodeURIComponent(ca)}" literally, which happens when the URL also contains a space or a "%" that is not an escape (it then re-encodes the whole URL and restores only escapes made of two digits). Write the path without escapes (a "/" is fine in a URL parameter), or encode that space as %20 and that "%" as %25; the decoded path ${ca} exists and is readable.`,
    )
    // without the space, node-postgres decodes the parameter: no finding about the file
    const ok = await run(dir, {
      connection: `postgres://app:${CANARY}@127.0.0.1/appdb?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`,
    })
    expect(findingCodes(ok)).not.toContain('SSL_CERT_FILE_UNREADABLE')
  })

  it('SSL_CERT_FILE_UNREADABLE: an sslcert that cannot be read (a directory; mode 000 when not root) from PGSSLCERT', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-unreadable-'))
    tmp.push(dir)
    const isRoot = process.getuid?.() === 0
    const target = path.join(dir, 'client.crt')
    if (isRoot) fs.mkdirSync(target)
    else {
      fs.writeFileSync(target, 'x')
      fs.chmodSync(target, 0o000)
    }
    const o = await run(dir, {
      processEnv: {
        DATABASE_URL: `postgres://app:${CANARY}@127.0.0.1/appdb?sslmode=verify-full&sslrootcert=${path.join(FIX, 'ssl-verify-full', 'ca.pem')}`,
        PGSSLCERT: target,
      },
    })
    expect(o.status).toBe('fail')
    expect(o.code).toBe('SSL_CERT_FILE_UNREADABLE')
    expect(o.summary).toContain(
      `The sslcert file ${target} from PGSSLCERT (environment) ${isRoot ? 'is a directory (EISDIR)' : 'is not readable'}`,
    )
    expect(o.fix!.summary).toBe('Point sslcert in PGSSLCERT (environment) at a readable PEM file.')
  })

  it('Prisma: directUrl sslcert resolves from the schema folder; missing file is SSL_CERT_FILE_UNREADABLE; no node-postgres semantics warning', async () => {
    const cwd = path.join(FIX, 'prisma-app')
    const o = await run(cwd)
    expect(o.code).toBe('SSL_CERT_FILE_UNREADABLE')
    expect(o.summary).toContain(
      `../certs/missing-ca.pem (→ ${path.join(cwd, 'certs', 'missing-ca.pem')}) from DIRECT_URL in .env (via prisma/schema.prisma datasource db.directUrl, used by prisma migrate) does not exist`,
    )
    expect(o.summary).toContain("in Prisma URLs sslcert is the server's CA certificate")
    // no node-postgres reading for the migration (the schema engine's); the app's runtime is modelled beside it:
    // the fixture installs no Prisma (7 assumed) and db-doctor's own @prisma/adapter-pg is found walking up, so
    // its node-postgres reading of sslmode=require (verify-full) differs from the engine's (not verified)
    expect(findingCodes(o)).toEqual(['SSL_CERT_FILE_UNREADABLE', 'SSL_PRISMA_RUNTIME_DIFFERS'])
    expect(o.evidence.note).toMatch(/Prisma app/)
  })

  it('passes with verify-full and a readable CA; both clients agree', async () => {
    const o = await run(path.join(FIX, 'ssl-verify-full'))
    expect(o.status).toBe('pass')
    expect(o.code).toBeNull()
    expect(o.evidence.comparison).toContainEqual({setting: 'verify hostname', nodePostgres: 'yes', libpq: 'yes'})
    expect(o.evidence.comparison).toContainEqual({
      setting: 'CA from',
      nodePostgres: 'sslrootcert=./ca.pem',
      libpq: 'sslrootcert=./ca.pem',
    })
    expect(o.evidence.difference).toBeUndefined()
  })

  describe('what the app really does (issue 8 item 3)', () => {
    const untrusted = {
      used: true,
      offered: true,
      verifies: false,
      verifiedAsApp: false,
      problems: ['TLS_SELF_SIGNED_CHAIN'],
      chain: [
        {subject: 'CN=localhost', issuer: 'CN=Test Root', notAfter: '2030-01-01T00:00:00Z', selfSigned: false},
        {subject: 'CN=Test Root', issuer: 'CN=Test Root', notAfter: '2030-01-01T00:00:00Z', selfSigned: true},
      ],
    }
    function app(knexfile: string, url: string): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoc-truth-'))
      tmp.push(dir)
      fs.writeFileSync(path.join(dir, 'knexfile.js'), knexfile)
      fs.writeFileSync(path.join(dir, '.env'), `DATABASE_URL=${url}\n`)
      return dir
    }

    it('D3: an ssl object with a CA + sslmode=no-verify in the URL: dead config (warn), the app connects unverified', async () => {
      const dir = app(
        "module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: {ca: 'PEM', rejectUnauthorized: true}}}\n",
        `postgres://app:${CANARY}@127.0.0.1:5432/appdb?sslmode=no-verify`,
      )
      const o = await run(dir, {facts: {tls: untrusted}})
      expect(o.status).toBe('warn')
      expect(o.code).toBe('SSL_CONFIG_CONFLICT')
      expect(o.summary).toContain(
        'is dead configuration: sslmode=no-verify in DATABASE_URL in .env replaces it, so node-postgres encrypts without verifying the certificate (the app connects, unverified)',
      )
      expect(o.summary).not.toContain('node-postgres verifies')
      expect(findingCodes(o)).toEqual(['SSL_CONFIG_CONFLICT', 'SSL_VERIFICATION_DISABLED'])
    })

    it('D4: ssl: false + sslmode=disable say the same thing: no conflict, no SSL in either client', async () => {
      const dir = app(
        "module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: false}}\n",
        `postgres://app:${CANARY}@127.0.0.1:5432/appdb?sslmode=disable`,
      )
      const o = await run(dir, {facts: {tls: {...untrusted, used: false}}})
      expect(o.status).toBe('pass')
      expect(o.summary).toBe('node-postgres and libpq agree: no SSL.')
    })

    it('D4: an ssl object with a CA + sslmode=disable: dead config (warn), nothing is verified', async () => {
      const dir = app(
        "module.exports = {client: 'pg', connection: {connectionString: process.env.DATABASE_URL, ssl: {ca: 'PEM'}}}\n",
        `postgres://app:${CANARY}@127.0.0.1:5432/appdb?sslmode=disable`,
      )
      const o = await run(dir, {facts: {tls: {...untrusted, used: false}}})
      expect(o).toMatchObject({status: 'warn', code: 'SSL_CONFIG_CONFLICT'})
      expect(o.summary).toContain('so node-postgres connects without TLS and verifies nothing')
    })

    it('D9: uselibpqcompat=true&sslmode=no-verify verifies fully in node-postgres: reported, not silent', async () => {
      const o = await run(HOME, {
        connection: `postgres://app:${CANARY}@127.0.0.1:5432/appdb?uselibpqcompat=true&sslmode=no-verify`,
      })
      expect(o).toMatchObject({status: 'warn', code: 'SSLMODE_VERIFY_SEMANTICS'})
      expect(o.summary).toMatch(
        /^sslmode=no-verify is ignored \(CONNECTION argument\): with uselibpqcompat=true node-postgres reads sslmode with libpq's meanings, where no-verify does not exist, so it verifies/,
      )
      expect(o.evidence.comparison).toContainEqual({setting: 'verify chain', nodePostgres: 'yes', libpq: 'no'})
      expect(o.fix!.snippet!.code).toContain('sslmode=verify-full&sslrootcert=./ca.pem')
      expect(o.fix!.snippet!.code).not.toContain('uselibpqcompat')
    })

    it('URL ssl=true: verify-full in node-postgres, require in psql (warn, write sslmode=verify-full)', async () => {
      const o = await run(HOME, {connection: `postgres://app:${CANARY}@127.0.0.1:5432/appdb?ssl=true`})
      expect(o).toMatchObject({status: 'warn', code: 'SSLMODE_VERIFY_SEMANTICS'})
      expect(o.summary).toContain('ssl=true (CONNECTION argument) means "SSL with full verification" in node-postgres')
      expect(o.fix!.snippet!.code).toMatch(/appdb\?sslmode=verify-full$/)
    })
  })
})
