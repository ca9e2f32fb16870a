// The connection budget (SERVER_CONNECTION_BUDGET) from real state: roles with a CONNECTION LIMIT on
// the shared server, real connections of that role held open, and real app files in a temp folder (a
// knexfile with pool.max, a Prisma schema whose URL sets connection_limit, a Kubernetes manifest with
// an autoscaler and a PostgreSQL StatefulSet beside the app), and the built CLI's --instances flag.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {authCheck} from '../../src/checks/auth.js'
import {serverCheck} from '../../src/checks/server.js'
import {loadEnv} from '../../src/config/env.js'
import {diagnose} from '../../src/app/diagnose.js'
import type {CheckResult} from '../../src/core/types.js'
import {APP_DATABASE, CANARY_PASSWORD, PG_HOST} from '../helpers/constants.js'
import {adminClient} from '../helpers/postgres.js'
import {checkOf, reportOf, runCli} from '../helpers/cli.js'

const info = inject('pg')
const dirs: string[] = []
const roles: string[] = []
let admin: pg.Client

function url(user: string, query = `sslmode=verify-full&sslrootcert=${info.caFile}`): string {
  return `postgres://${user}:${CANARY_PASSWORD}@${PG_HOST}:${info.port}/${APP_DATABASE}?${query}`
}

function folder(files: Record<string, string>): string {
  const cwd = mkdtempSync(join(tmpdir(), 'dbd-budget-'))
  dirs.push(cwd)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cwd, name)), {recursive: true})
    writeFileSync(join(cwd, name), text)
  }
  return cwd
}

async function run(
  cwd: string,
  dbUrl: string,
  instances?: number,
  more: {longTransactionSeconds?: number} = {},
): Promise<CheckResult> {
  const {env, envFileOf} = loadEnv({cwd, processEnv: {DATABASE_URL: dbUrl, PGPASSFILE: join(cwd, 'none'), HOME: cwd}})
  const report = await diagnose({
    cwd,
    env,
    envFileOf,
    options: {timeoutMs: 5000, verbose: false, dnsServers: [], ...(instances ? {instances} : {}), ...more},
    tool: 'db-doctor@test',
    checks: [authCheck, serverCheck],
    strictFacts: true,
  })
  expect(report.checks[0], JSON.stringify(report.checks[0])).toMatchObject({id: 'auth', status: 'pass'})
  const text = JSON.stringify(report)
  expect(text).not.toContain(CANARY_PASSWORD)
  return report.checks[1]!
}

async function role(name: string, limit: number): Promise<string> {
  await admin.query(`drop role if exists ${name}`)
  await admin.query(`create role ${name} login connection limit ${limit} password '${CANARY_PASSWORD}'`)
  await admin.query(`grant connect on database ${APP_DATABASE} to ${name}`)
  roles.push(name)
  return name
}

async function hold(user: string, n: number): Promise<pg.Client[]> {
  const out: pg.Client[] = []
  for (let i = 0; i < n; i++) {
    const c = new pg.Client({
      connectionString: url(user).replace(/\?.*$/, ''),
      ssl: {ca: info.caPem, servername: 'localhost'},
    })
    await c.connect()
    out.push(c)
  }
  return out
}

beforeAll(async () => {
  admin = await adminClient(info)
})

afterAll(async () => {
  for (const r of roles) await admin.query(`drop role if exists ${r}`).catch(() => undefined)
  await admin.end()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

describe('connection budget', () => {
  it("fails when a knexfile's pool.max × --instances exceeds the role's CONNECTION LIMIT", async () => {
    const name = await role('budget_knex', 6)
    const cwd = folder({
      'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL, pool: {min: 2, max: 4}}\n`,
    })
    const r = await run(cwd, url(name), 2)
    expect(r, JSON.stringify(r)).toMatchObject({status: 'fail', code: 'SERVER_CONNECTION_BUDGET'})
    expect(r.evidence.connectionBudget).toMatchObject({
      budget: 8,
      pool: {size: 4, origin: 'config', source: 'knexfile.js pool.max', owner: 'knex'},
      instances: 2,
      instancesFrom: '--instances 2',
      hardLimit: 6,
      hardLimitBy: 'role',
    })
    expect(r.summary).toContain('8 connections')
    expect(r.summary).toContain(`role "${name}"'s CONNECTION LIMIT 6`)
    expect(r.fix!.snippet).toEqual({language: 'js', code: 'pool: {min: 2, max: 3},'})
    expect(r.fix!.steps.join(' ')).toContain(`ALTER ROLE ${name} CONNECTION LIMIT 13`)
  })

  it('warns when a manifest autoscaler × Prisma connection_limit exceeds the slots free now (sessions held)', async () => {
    const name = await role('budget_prisma', 5)
    const manifest = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web}',
      'spec:',
      '  replicas: 1',
      '  template:',
      '    spec:',
      '      containers: [{name: web, image: "example/web:1"}]',
      '---',
      'apiVersion: autoscaling/v2',
      'kind: HorizontalPodAutoscaler',
      'metadata: {name: web}',
      'spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 1, maxReplicas: 2}',
      '---',
      'apiVersion: apps/v1',
      'kind: StatefulSet',
      'metadata: {name: db}',
      'spec:',
      '  replicas: 3',
      '  template:',
      '    spec:',
      '      containers: [{name: db, image: "postgres:17"}]',
      '',
    ].join('\n')
    const cwd = folder({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      'k8s/app.yaml': manifest,
    })
    const held = await hold(name, 2)
    try {
      const r = await run(cwd, url(name, `sslmode=verify-full&sslrootcert=${info.caFile}&connection_limit=2`))
      expect(r, JSON.stringify(r)).toMatchObject({status: 'warn', code: 'SERVER_CONNECTION_BUDGET'})
      expect(r.evidence.connectionBudget).toMatchObject({
        budget: 4,
        pool: {size: 2, origin: 'config', setting: 'connection_limit', owner: 'prisma'},
        instances: 2,
        instancesFrom: 'k8s/app.yaml Deployment web: HorizontalPodAutoscaler maxReplicas 2',
        freeSlots: 3,
        freeLimitedBy: 'role',
      })
      expect(r.fix!.snippet!.code).toContain('connection_limit=1')
    } finally {
      for (const c of held) await c.end()
    }
  })

  it('a Helm chart is not rendered: its templated replicas are not counted, and the evidence shows them as written', async () => {
    const name = await role('budget_helm', 10)
    const deployment = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ include "web.fullname" . }}',
      'spec:',
      '  {{- if not .Values.autoscaling.enabled }}',
      '  replicas: {{ .Values.replicaCount }}',
      '  {{- end }}',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
      '',
    ].join('\n')
    const cwd = folder({
      'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL, pool: {max: 4}}\n`,
      'helm/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'helm/web/values.yaml': 'replicaCount: 5\n',
      'helm/web/templates/deployment.yaml': deployment,
    })
    const r = await run(cwd, url(name))
    expect(r.status, JSON.stringify(r)).toBe('pass')
    expect(r.evidence.replicasNotModelled).toEqual([
      {file: 'helm/web/templates/deployment.yaml', replicas: '{{ .Values.replicaCount }}'},
    ])
    // one instance assumed, nobody's word for it: not 5 from values.yaml
    expect(r.evidence.connectionBudget).toMatchObject({budget: 4, instances: 1, instancesFrom: null})
  })

  it('check --instances: the flag reaches the budget with its provenance (built CLI)', async () => {
    const name = await role('budget_cli', 3)
    const cwd = folder({
      'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL, pool: {max: 2}}\n`,
    })
    const res = await runCli(['check', '--only', 'auth,server', '--instances', '2', '--json'], {
      cwd,
      env: {DATABASE_URL: url(name), HOME: cwd},
    })
    expect(res.stdout).not.toContain(CANARY_PASSWORD)
    const server = checkOf(reportOf(res), 'server')
    expect(server, res.stdout + res.stderr).toMatchObject({status: 'fail', code: 'SERVER_CONNECTION_BUDGET'})
    expect(server.evidence.connectionBudget).toMatchObject({budget: 4, instancesFrom: '--instances 2', hardLimit: 3})
    expect(res.code).toBe(1)
  })

  it('a manifest is read the same by both ways the built CLI runs check (check.cjs, and oclif with DEBUG set)', async () => {
    const name = await role('budget_manifest_cli', 10)
    const cwd = folder({
      'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL, pool: {max: 2}}\n`,
      'k8s/app.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web}',
        'spec:',
        '  replicas: 3',
        '  template:',
        '    spec:',
        '      containers: [{name: web, image: "example/web:1"}]',
        '',
      ].join('\n'),
    })
    for (const extra of [{}, {DEBUG: ''}]) {
      const res = await runCli(['check', '--only', 'auth,server', '--json'], {
        cwd,
        env: {DATABASE_URL: url(name), HOME: cwd, ...extra},
      })
      const server = checkOf(reportOf(res), 'server')
      expect(server.evidence.connectionBudget, JSON.stringify(extra) + res.stderr).toMatchObject({
        budget: 6,
        instances: 3,
        instancesFrom: 'k8s/app.yaml Deployment web: replicas 3',
      })
    }
  })
})

describe('long-running transactions', () => {
  it('SERVER_LONG_TRANSACTION and, for a migration tool with lock_timeout 0, SERVER_NO_LOCK_TIMEOUT', async () => {
    // a role of its own: the check (not a superuser) sees the state and times of this role's sessions only
    const name = await role('budget_xact', -1)
    const cwd = folder({'knexfile.js': `module.exports = {client: 'pg', connection: process.env.DATABASE_URL}\n`})
    const [holder] = await hold(name, 1)
    try {
      await holder!.query('begin')
      await holder!.query('select 1')
      const pid = (await holder!.query('select pg_backend_pid() as pid')).rows[0].pid as number
      await new Promise((r) => setTimeout(r, 2100))
      const r = await run(cwd, url(name), undefined, {longTransactionSeconds: 2})
      expect(r, JSON.stringify(r)).toMatchObject({status: 'warn', code: 'SERVER_LONG_TRANSACTION'})
      expect(r.findings!.map((f) => f.code)).toEqual(['SERVER_LONG_TRANSACTION', 'SERVER_NO_LOCK_TIMEOUT'])
      expect(r.evidence.longTransactions).toEqual([
        expect.objectContaining({pid, user: name, state: 'idle in transaction'}),
      ])
      expect(r.summary).toContain(`session ${pid} (${name}), idle in transaction, transaction open`)
      expect(r.fix!.steps.join(' ')).toContain(`pg_terminate_backend(${pid})`)
      expect(r.fix!.steps.join(' ')).toContain(`ALTER ROLE ${name} SET lock_timeout = '5s'`)
      expect(r.fix!.steps.join(' ')).toContain("PGOPTIONS='-c lock_timeout=5s' npx knex migrate:latest")

      // with a lock_timeout for the role, only the long transaction is left
      await admin.query(`alter role ${name} set lock_timeout = '3s'`)
      const again = await run(cwd, url(name), undefined, {longTransactionSeconds: 2})
      expect(again.findings!.map((f) => f.code)).toEqual(['SERVER_LONG_TRANSACTION'])
      expect(again.summary).toContain('until lock_timeout (3 s) cancels them')
    } finally {
      await holder!.end()
    }
  })
})
