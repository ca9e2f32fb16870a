// The URL parser modelled for the app: knex's own (pinned) pg-connection-string for a knex
// string connection, pg's for everything else, from the app's folder; db-doctor's own current
// release when the app has none installed.
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {urlParserModel} from '../../src/config/url-parser.js'
import {ROOT} from '../helpers/cli.js'

const empty = mkdtempSync(path.join(os.tmpdir(), 'dbd-noapp-'))
afterAll(() => rmSync(empty, {recursive: true, force: true}))
const COMPAT = 'postgres://u@h/d?uselibpqcompat=true&sslmode=require'

describe('urlParserModel', () => {
  it("a knex string: the app's knex and the pg-connection-string it pins (2.6.2, no uselibpqcompat)", () => {
    const m = urlParserModel('knex', ROOT)
    expect(m).toMatchObject({by: 'knex', version: '2.6.2', libpqCompat: false, fromApp: true})
    expect(m.modelled).toMatch(
      /^knex 3\.\d+\.\d+ → pg-connection-string 2\.6\.2 \(the app's, from node_modules\/knex\/node_modules\/pg-connection-string\)$/,
    )
    expect(m.parse(COMPAT).ssl).toEqual({}) // sslmode=require: verify-full
  })

  it("{connectionString}: the app's pg and its pg-connection-string (uselibpqcompat known)", () => {
    const m = urlParserModel('pg', ROOT)
    expect(m).toMatchObject({by: 'pg', libpqCompat: true, fromApp: true})
    expect(m.modelled).toMatch(/^pg 8\.\d+\.\d+ → pg-connection-string 2\.\d+\.\d+ \(the app's\)$/)
    expect(m.parse(COMPAT).ssl).toMatchObject({rejectUnauthorized: false})
  })

  it("nothing installed in the app: knex 3.x semantics (uselibpqcompat ignored) and db-doctor's own pg parser, said so", () => {
    const k = urlParserModel('knex', empty)
    expect(k).toMatchObject({by: 'knex', version: '2.6.2', libpqCompat: false, fromApp: false})
    expect(k.modelled).toContain('knex is not installed in')
    expect(k.parse(COMPAT).ssl).toEqual({})
    const p = urlParserModel('pg', empty)
    expect(p).toMatchObject({by: 'pg', libpqCompat: true, fromApp: false})
    expect(p.modelled).toContain('pg is not installed in')
  })
})
