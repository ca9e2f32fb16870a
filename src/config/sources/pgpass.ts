// Source 4b: the password from ~/.pgpass (or PGPASSFILE), found the way node-postgres finds it
// (config/pgpass.ts), with the file and line as provenance.
import {inspectPgpass} from '../pgpass.js'
import type {ConfigSource, Provenance, ResolvingContext} from '../types.js'

export const pgpassSource: ConfigSource = {
  id: 'pgpass',
  role: 'fill',
  load(ctx) {
    const fields = (ctx as Partial<ResolvingContext>).fields ?? {}
    if (fields.password) return null
    const found = inspectPgpass(
      ctx.env,
      {
        host: fields.host?.value,
        port: fields.port?.value,
        database: fields.database?.value,
        user: fields.user?.value,
      },
      ctx.cwd,
    )
    // the resolver keeps the answer for the checks (config/target.ts): the file is read once per target
    if (found.status !== 'match' || found.password === undefined)
      return {origin: {kind: 'pgpass', name: 'pgpass', label: found.display}, fields: {}, pgpass: found}
    const name = found.fromPgpassfile ? 'PGPASSFILE' : '~/.pgpass'
    const source: Provenance = {
      kind: 'pgpass',
      name,
      file: found.display,
      label: `${found.display} line ${found.line}${found.fromPgpassfile ? ' (PGPASSFILE)' : ''}`,
    }
    return {origin: source, fields: {password: {value: found.password, source}}, pgpass: found}
  },
}
