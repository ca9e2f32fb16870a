// A Prisma 6 app without a driver adapter connects with Prisma's own engine (src/models/drivers/prisma-engine.ts,
// modelled from prisma-engines' quaint source: the engine binaries cannot be downloaded here). db-doctor's
// TLS probe and login follow that reading against the shared real server (private CA): sslmode=require
// encrypts without verifying (a warning, not node-postgres' verify-full failure), sslaccept=strict with sslcert
// verifies, sslaccept=strict without the CA fails, and the fixes are written in Prisma's own parameters.
import {afterAll, describe, expect, inject, it} from 'vitest'
import {checkOf, reportOf} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {makeApp, runDoctor, type App} from '../helpers/migration-tools.js'

const pg = inject('pg')
const apps: App[] = []
afterAll(() => apps.forEach((a) => a.cleanup()))

const SCHEMA = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'

async function prisma6(query: string) {
  const app = makeApp({
    files: {
      'package.json': JSON.stringify({dependencies: {'@prisma/client': '6.19.0'}, devDependencies: {prisma: '6.19.0'}}),
      'prisma/schema.prisma': SCHEMA,
      '.env': `DATABASE_URL=postgresql://${APP_USER}:${CANARY_PASSWORD}@localhost:${pg.port}/${APP_DATABASE}?${query}\n`,
    },
    migrationsDir: false,
  })
  apps.push(app)
  const r = await runDoctor(app, ['check', '--json'])
  expect(r.stdout + r.stderr).not.toContain(CANARY_PASSWORD)
  return {r, report: reportOf(r)}
}

describe("a Prisma 6 app: Prisma's engine, not node-postgres", () => {
  it('sslmode=require: TLS without verification, as the engine does: a warning, the login passes', async () => {
    const {r, report} = await prisma6('sslmode=require')
    expect(report.modelled?.text).toBe('prisma 6.19 → prisma-engine 6.19')
    const tls = checkOf(report, 'tls')
    expect(tls.status).toBe('warn')
    expect(tls.summary).toContain('so prisma-engine 6.19.0 connects anyway')
    // the fix is in Prisma's words: sslcert + sslaccept=strict, never verify-full (read as prefer) or NODE_EXTRA_CA_CERTS
    const fix = JSON.stringify(tls.fix)
    expect(fix).toContain('sslaccept=strict')
    expect(fix).not.toMatch(/verify-full|NODE_EXTRA_CA_CERTS|sslrootcert=\/path/)
    expect(checkOf(report, 'ssl-config').summary).toBe(
      "No SSL misconfiguration for the app's driver: prisma-engine 6.19.0 (sslmode=require: TLS, not verified).",
    )
    expect(checkOf(report, 'auth').status).toBe('pass')
    expect(r.code, r.stderr).toBe(0)
  })

  it('sslaccept=strict with the CA in sslcert: verified; sslaccept=strict without it: the engine refuses', async () => {
    const verified = await prisma6(`sslmode=require&sslaccept=strict&sslcert=${encodeURIComponent(pg.caFile)}`)
    expect(checkOf(verified.report, 'tls').status).toBe('pass')
    expect(checkOf(verified.report, 'auth').status).toBe('pass')
    const refused = await prisma6('sslmode=require&sslaccept=strict')
    const tls = checkOf(refused.report, 'tls')
    expect(tls.status).toBe('fail')
    expect(tls.code).toMatch(/^TLS_(UNTRUSTED_ISSUER|SELF_SIGNED_CHAIN|SELF_SIGNED_CERT)$/)
    expect(tls.summary).toContain('prisma-engine 6.19.0 will refuse the connection')
    expect(refused.r.code).toBe(1)
  })
})
