import {describe, expect, it} from 'vitest'
import {assignment, connectionStringSnippet} from '../../src/catalogue/snippets.js'
import type {Provenance} from '../../src/config/types.js'

const url = 'postgres://app:****@db:5432/app?sslmode=verify-full'
const src = (kind: Provenance['kind'], name: string, file?: string): Provenance => ({kind, name, file, label: name})

describe('assignment', () => {
  it('writes the value back into the source it came from', () => {
    expect(assignment(src('env-file', 'DATABASE_URL', '.env'), url)).toEqual({
      language: 'dotenv',
      code: `DATABASE_URL="${url}"`,
    })
    expect(assignment(src('env', 'DATABASE_URL'), url)).toEqual({
      language: 'bash',
      code: `export DATABASE_URL='${url}'`,
    })
    expect(assignment(src('argument', 'CONNECTION'), url)).toEqual({language: 'bash', code: `db-doctor check '${url}'`})
  })

  it('has nothing to paste for code and defaults', () => {
    for (const kind of ['knexfile', 'prisma', 'node-pg-migrate', 'default', 'pgpass'] as const) {
      expect(assignment(src(kind, 'x'), url)).toBeUndefined()
    }
  })
})

describe('connectionStringSnippet', () => {
  it('follows assignment for variables and the argument (never a made-up CONNECTION= line)', () => {
    expect(connectionStringSnippet(src('argument', 'CONNECTION'), url).code).toBe(`db-doctor check '${url}'`)
    expect(connectionStringSnippet(src('env-file', 'POSTGRES_URL', '.env'), url).code).toBe(`POSTGRES_URL="${url}"`)
  })

  it('shows the setting in code for a knexfile or a Prisma schema', () => {
    expect(connectionStringSnippet(src('knexfile', 'connection', 'knexfile.js'), url)).toEqual({
      language: 'js',
      code: `connection: '${url}',`,
    })
    expect(connectionStringSnippet(src('prisma', 'datasource db.url', 'prisma/schema.prisma'), url)).toEqual({
      language: 'prisma',
      code: `url = "${url}"`,
    })
  })

  it('falls back to DATABASE_URL when the source is unknown, and to the bare URL otherwise', () => {
    expect(connectionStringSnippet(undefined, url)).toEqual({language: 'dotenv', code: `DATABASE_URL="${url}"`})
    expect(connectionStringSnippet(src('node-pg-migrate', 'db', 'config/default.json'), url)).toEqual({
      language: 'text',
      code: url,
    })
  })
})
