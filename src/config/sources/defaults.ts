// Source 5: the defaults node-postgres applies (pg/lib/defaults.js): host localhost,
// port 5432, user = $USER (USERNAME on Windows), database = the user.
// Runs after the PG* variables so `database` defaults to the effective user.
import os from 'node:os'
import {DEFAULT_PORT} from '../connection-keywords.js'
import type {ConfigSource, Field, FieldName, Provenance, ResolvingContext} from '../types.js'

const dflt = (name: string, label = 'default'): Provenance => ({kind: 'default', name, label})

export const defaultsSource: ConfigSource = {
  id: 'defaults',
  role: 'fill',
  load(ctx) {
    const current = (ctx as Partial<ResolvingContext>).fields ?? {}
    const fields: Partial<Record<FieldName, Field<string>>> = {
      host: {value: 'localhost', source: dflt('host')},
      port: {value: String(DEFAULT_PORT), source: dflt('port')},
    }
    const userVar = process.platform === 'win32' ? 'USERNAME' : 'USER'
    let user = ctx.env[userVar]
    let userLabel = `default (${userVar})`
    if (!user) {
      try {
        user = os.userInfo().username
        userLabel = 'default (OS user)'
      } catch {
        user = undefined
      }
    }
    if (user) fields.user = {value: user, source: dflt('user', userLabel)}
    const effectiveUser = current.user?.value ?? user
    if (effectiveUser) fields.database = {value: effectiveUser, source: dflt('database', 'default (same as user)')}
    return {origin: dflt('defaults'), fields}
  },
}
