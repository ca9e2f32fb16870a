// The URL parser modelled for the app: knex's own (pinned) pg-connection-string for a knex
// string connection, pg's for everything else, from the app's folder; db-doctor's own current
// release when the app has none installed.
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createRequire} from 'node:module'
import {afterAll, describe, expect, it} from 'vitest'
import {urlParserModel, type Parse} from '../../src/config/url-parser.js'
import {urlParserText} from '../../src/catalogue/modelled.js'
import {ROOT} from '../helpers/cli.js'
import {makeApp} from '../helpers/migration-tools.js'

const empty = mkdtempSync(path.join(os.tmpdir(), 'dbd-noapp-'))
afterAll(() => rmSync(empty, {recursive: true, force: true}))
const COMPAT = 'postgres://u@h/d?uselibpqcompat=true&sslmode=require'

describe('urlParserModel', () => {
  it("a knex string: the app's knex and the pg-connection-string it pins (2.6.2, no uselibpqcompat)", () => {
    const m = urlParserModel('knex', ROOT)
    expect(m).toMatchObject({by: 'knex', version: '2.6.2', libpqCompat: false, fromApp: true})
    expect(urlParserText(m.modelled)).toMatch(
      /^knex 3\.\d+\.\d+ → pg-connection-string 2\.6\.2 \(the app's, from node_modules\/knex\/node_modules\/pg-connection-string\)$/,
    )
    expect(m.parse(COMPAT).ssl).toEqual({}) // sslmode=require: verify-full
  })

  it("{connectionString}: the app's pg and its pg-connection-string (uselibpqcompat known)", () => {
    const m = urlParserModel('pg', ROOT)
    expect(m).toMatchObject({by: 'pg', libpqCompat: true, fromApp: true})
    expect(urlParserText(m.modelled)).toMatch(/^pg 8\.\d+\.\d+ → pg-connection-string 2\.\d+\.\d+ \(the app's\)$/)
    expect(m.parse(COMPAT).ssl).toMatchObject({rejectUnauthorized: false})
  })

  it("nothing installed in the app: knex 3.x semantics (uselibpqcompat ignored) and db-doctor's own pg parser, said so", () => {
    const k = urlParserModel('knex', empty)
    expect(k).toMatchObject({by: 'knex', version: '2.6.2', libpqCompat: false, fromApp: false})
    expect(urlParserText(k.modelled)).toContain('knex is not installed in')
    expect(k.parse(COMPAT).ssl).toEqual({})
    const p = urlParserModel('pg', empty)
    expect(p).toMatchObject({by: 'pg', libpqCompat: true, fromApp: false})
    expect(urlParserText(p.modelled)).toContain('pg is not installed in')
  })
})

describe('the stand-in for knex 3.x (knex not installed)', () => {
  const pinned = (createRequire(import.meta.url)('knex/node_modules/pg-connection-string') as {parse: Parse}).parse
  const standIn = () => urlParserModel('knex', empty).parse
  it.each([
    'sslnegotiation=direct',
    'sslnegotiation=direct&ssl=true',
    'sslnegotiation=direct&ssl=0',
    'sslnegotiation=direct&sslmode=require',
    'sslnegotiation=direct&sslmode=disable',
    'sslnegotiation=direct&uselibpqcompat=true&sslmode=require',
    'sslnegotiation=postgres',
    'SSLNEGOTIATION=direct',
    'ssl=1',
  ])('%s: the ssl value of the real 2.6.2', (q) => {
    const url = `postgres://u@h/d?${q}`
    const want = pinned(url)
    const got = standIn()(url)
    expect('ssl' in got).toBe('ssl' in want)
    expect(got.ssl).toEqual(want.ssl)
    expect(got.sslnegotiation).toEqual(want.sslnegotiation)
  })
})

describe("the app's pg is another release than db-doctor's", () => {
  it("pg 7.18.2: its own 0.1.3 parses; the steps after the parse are modelled as db-doctor's pg, and the evidence says so", () => {
    const old = makeApp({files: {}, packages: ['pg-7 as pg'], migrationsDir: false})
    try {
      const m = urlParserModel('pg', old.dir)
      expect(m).toMatchObject({by: 'pg', version: '0.1.3', libpqCompat: false, fromApp: true})
      expect(m.parse('postgres://u@h/d?sslmode=require').ssl).toBeUndefined() // 0.1.3 reads only ssl=true/1
      expect(urlParserText(m.modelled)).toMatch(
        new RegExp(
          "^pg 7\\.18\\.2 → pg-connection-string 0\\.1\\.3 \\(the app's\\); what pg 7\\.18\\.2 does with it " +
            '\\(ConnectionParameters, the TLS options\\) modelled as pg 8\\.\\d+\\.\\d+ does it$',
        ),
      )
      // knex hands its parsed object to the same old pg
      const k = makeApp({files: {}, packages: ['knex', 'pg-7 as pg'], migrationsDir: false})
      try {
        expect(urlParserText(urlParserModel('knex', k.dir).modelled)).toMatch(
          /\(the app's, from node_modules\/knex\/node_modules\/pg-connection-string\); what pg 7\.18\.2 does with it/,
        )
      } finally {
        k.cleanup()
      }
    } finally {
      old.cleanup()
    }
  })

  it("the same release as db-doctor's: nothing is added", () => {
    expect(urlParserModel('pg', ROOT).modelled).not.toHaveProperty('settings')
    expect(urlParserModel('knex', ROOT).modelled).not.toHaveProperty('settings')
  })
})
