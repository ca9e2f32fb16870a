// Runs INSIDE a fault-lab namespace (its own loopback, hosts and resolv.conf: a piece of a
// broken URL that libpq takes for a host name is looked up there, never on the machine).
// A PostgreSQL-like peer on 127.0.0.1:5432 answers SSLRequest/GSSENCRequest with 'N', asks for a
// cleartext password and records exactly the bytes each client sends, then refuses the login.
// For every URL, three real clients try it: psql (libpq), node-postgres ({connectionString}) and
// knex 3 with the URL as a string connection (its pinned pg-connection-string, then pg).
// argv[2]: JSON {root, cases: [{id, url}]}. Prints one JSON line: {results: [{id, psql, pg, knex}]},
// each {password?: string, user?: string, error?: string}.
import {spawn} from 'node:child_process'
import {createRequire} from 'node:module'
import net from 'node:net'
import path from 'node:path'

const spec = JSON.parse(process.argv[2])
const require = createRequire(path.join(spec.root, 'package.json'))
const pg = require('pg')
const knexLib = require('knex')

let captured = null
const server = net.createServer((s) => {
  s.on('error', () => {})
  let buf = Buffer.alloc(0)
  let stage = 'startup'
  let user
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    for (;;) {
      if (stage === 'startup') {
        if (buf.length < 8) return
        const len = buf.readUInt32BE(0)
        if (buf.length < len) return
        const code = buf.readUInt32BE(4)
        const body = buf.subarray(8, len)
        buf = buf.subarray(len)
        if (code === 80877103 || code === 80877104) {
          s.write('N')
          continue
        }
        const parts = body.toString('utf8').split('\0')
        for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === 'user') user = parts[i + 1]
        const auth = Buffer.alloc(9)
        auth.write('R', 0)
        auth.writeUInt32BE(8, 1)
        auth.writeUInt32BE(3, 5) // AuthenticationCleartextPassword
        s.write(auth)
        stage = 'password'
        continue
      }
      if (buf.length < 5) return
      const len = buf.readUInt32BE(1)
      if (buf.length < 1 + len) return
      if (buf[0] === 0x70) captured = {user, password: buf.subarray(5, 1 + len - 1).toString('utf8')}
      buf = buf.subarray(1 + len)
      const fields = Buffer.from('SFATAL\0C28P01\0Mcaptured by the lab peer\0\0')
      const err = Buffer.alloc(5)
      err.write('E', 0)
      err.writeUInt32BE(4 + fields.length, 1)
      s.end(Buffer.concat([err, fields]))
      return
    }
  })
})
await new Promise((resolve, reject) => server.once('error', reject).listen(5432, '127.0.0.1', resolve))

function outcome(error) {
  if (captured) return {...captured}
  return {
    error: String(error?.message ?? error ?? 'no connection')
      .split('\n')[0]
      .slice(0, 300),
  }
}

function psql(url) {
  return new Promise((resolve) => {
    const child = spawn('psql', ['-w', '-X', '-c', 'select 1', url], {
      env: {PATH: process.env.PATH, PGCONNECT_TIMEOUT: '3', PGPASSFILE: '/nonexistent'},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('close', () => {
      clearTimeout(timer)
      resolve(err.trim())
    })
  })
}

const results = []
for (const c of spec.cases) {
  const row = {id: c.id}
  captured = null
  row.psql = outcome(await psql(c.url))

  captured = null
  let e
  let client
  try {
    client = new pg.Client({connectionString: c.url, connectionTimeoutMillis: 3000})
    client.on('error', () => {})
    await client.connect()
  } catch (error) {
    e = error
  }
  await client?.end().catch(() => {})
  row.pg = outcome(e)

  captured = null
  e = undefined
  let knex
  try {
    knex = knexLib({client: 'pg', connection: c.url, pool: {min: 0, max: 1}, acquireConnectionTimeout: 3000})
    await knex.raw('select 1')
  } catch (error) {
    e = error
  }
  await knex?.destroy().catch(() => {})
  row.knex = outcome(e)
  results.push(row)
}
server.close()
console.log(JSON.stringify({results}))
