// The field story, end to end: a knex project whose .env says
// DATABASE_URL=…?sslmode=require and whose knexfile.cjs says
// `connection: {connectionString: process.env.DATABASE_URL, ssl: {rejectUnauthorized: false}}`,
// against a real PostgreSQL presenting leaf + self-signed root. psql (libpq, require = encrypt
// only) connects; the migration fails with "self-signed certificate in certificate chain".
// `db-doctor check` with no arguments in that folder must say why.
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createRequire} from 'node:module'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createCa, createLeaf} from '../helpers/certs.js'
import {chainPem} from '../helpers/chains.js'
import {checkInAllFormats, checkOf, reportOf, ROOT, runCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {startPostgres, type PgServer} from '../helpers/postgres.js'

const require = createRequire(import.meta.url)

let server: PgServer
let dir: string

beforeAll(async () => {
  const root = await createCa({commonName: 'Seed Story Root CA'})
  const leaf = await createLeaf({
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: [PG_HOST, '::1'],
    issuer: root,
  })
  // The server sends its root too: Node reports "self-signed certificate in certificate chain".
  server = await startPostgres({tls: {certPem: chainPem(leaf, root), keyPem: leaf.keyPem, caPem: root.certPem}})
  dir = mkdtempSync(path.join(os.tmpdir(), 'dbd-seed-'))
  copyFileSync(path.join(ROOT, 'test/fixtures/knex-seed/knexfile.cjs'), path.join(dir, 'knexfile.cjs'))
  // How the story's developer runs the migration: Node loads .env for the knex CLI, which is told where
  // the knexfile is (the CLI never looks for knexfile.cjs by itself).
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'seed-app',
        private: true,
        scripts: {migrate: 'node --env-file=.env node_modules/.bin/knex migrate:latest --knexfile knexfile.cjs'},
      },
      null,
      2,
    ),
  )
  // The story's app has its tool and driver installed (links to this repository's knex and pg), so the
  // report models the versions it would really run.
  mkdirSync(path.join(dir, 'node_modules'))
  for (const pkg of ['knex', 'pg'])
    symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(dir, 'node_modules', pkg), 'dir')
  writeFileSync(
    path.join(dir, '.env'),
    `DATABASE_URL=postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${server.port}/${APP_DATABASE}?sslmode=require\n`,
  )
}, 120_000)

afterAll(async () => {
  await server?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

/** One `db-doctor check` (no arguments) in the app's folder, in the three formats; shared by the tests that read it. */
let run: ReturnType<typeof checkInAllFormats> | undefined
const allFormats = () => (run ??= checkInAllFormats([], (a) => runCli(a, {cwd: dir})))

describe('seed story: knexfile ssl object replaced by sslmode=require, self-signed root', () => {
  it('what the app sees: node-postgres with the knexfile config fails on the chain', async () => {
    const pg = require('pg') as typeof import('pg')
    const url = `postgres://${APP_USER}:${CANARY_PASSWORD}@${PG_HOST}:${server.port}/${APP_DATABASE}?sslmode=require`
    const client = new pg.Client({connectionString: url, ssl: {rejectUnauthorized: false}})
    await expect(client.connect()).rejects.toThrow(/self[- ]signed certificate in certificate chain/)
    // libpq semantics (what psql does with sslmode=require): encrypt without verifying
    const libpqLike = new pg.Client({connectionString: `${url}&uselibpqcompat=true`})
    await libpqLike.connect()
    await libpqLike.end()
  })

  it('db-doctor check (no arguments) names the conflict, the untrusted root and a fix that keeps verification on', async () => {
    const r = (await allFormats()).json
    expect(r.stdout).not.toContain(CANARY_PASSWORD)
    expect(r.stderr).not.toContain(CANARY_PASSWORD)
    const report = reportOf(r)
    expect(report.target).toMatchObject({host: PG_HOST, port: server.port, database: APP_DATABASE, sslmode: 'require'})
    expect(report.target.sources.host).toContain('knexfile.cjs')

    const ssl = checkOf(report, 'ssl-config')
    expect(ssl.status).toBe('fail')
    expect(ssl.code).toBe('SSL_CONFIG_CONFLICT')
    expect(ssl.summary).toContain('knexfile.cjs (development environment)')
    expect(ssl.summary).toContain('sslmode=require in DATABASE_URL in .env replaces it')
    expect(ssl.summary).toContain('Seed Story Root CA')
    expect(ssl.summary).toMatch(
      /psql connects; your Node app will not, because node-postgres treats sslmode=require .* as verify-full/,
    )
    expect(ssl.evidence.comparison).toContainEqual({setting: 'verify chain', nodePostgres: 'yes', libpq: 'no'})
    const fix = JSON.stringify(ssl.fix)
    expect(fix).toContain('sslmode=verify-full&sslrootcert=./ca.pem')
    expect(fix).toContain("ssl: { ca: fs.readFileSync('ca.pem', 'utf8'), rejectUnauthorized: true }")
    expect(fix).toContain('Do not use rejectUnauthorized: false')
    expect(r.code).not.toBe(0)
  })

  it('the same verdicts in text and Markdown, with no password anywhere', async () => {
    const {json, text, md} = await allFormats()
    for (const r of [text, md]) {
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
      expect(r.stdout).toContain('TLS_SELF_SIGNED_CHAIN')
      expect(r.stdout).toContain('SSL_CONFIG_CONFLICT')
      expect(r.stdout).toContain('Seed Story Root CA')
      expect(r.stdout).toContain('psql connects; your Node app will not')
    }
    expect(text.stdout).toContain('✗ ssl-config · SSL_CONFIG_CONFLICT')
    expect(md.stdout).toContain('### ✗ SSL settings (node-postgres vs libpq) — `SSL_CONFIG_CONFLICT`')
    expect(checkOf(reportOf(json), 'config').status).toBe('pass')
  })

  it("README's copy of this run is the real text report's head (timings and the port aside)", async () => {
    const text = await runCli(['check'], {cwd: dir})
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const block = /```text\n\$ db-doctor check\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block, 'README has the seed story block').toBeDefined()
    const norm = (s: string) =>
      s
        .replace(/\(\d+ ms\)/g, '(N ms)')
        .replace(/in \d+ ms/g, 'in N ms')
        .replace(new RegExp(`:${server.port}\\b`, 'g'), ':5432')
        .replace(new RegExp(`port ${server.port}\\b`, 'g'), 'port 5432')
        // Docker networking says where it runs (a laptop in README, maybe a container here)
        .replace(/(✓ Docker networking \(N ms\)\n)[^\n]*\n/, '$1(where it runs)\n')
        // wrapping depends on the width
        .replace(/\s+/g, ' ')
    const head = text.stdout.slice(0, text.stdout.indexOf('\n\n', text.stdout.indexOf(': failing')) + 1)
    expect(norm(head)).toBe(norm(block!))
  })
})
