// Runs INSIDE a fault-lab namespace: starts Postgres-like peers (or relays), then the built
// CLI (bin/run.js) with the given arguments, and relays its exit code and output
// as one JSON line. argv[2]: JSON {peers: [{host, port?, relay?: unix socket path}], args: [...], env?: {...}}.
import {spawn} from 'node:child_process'
import net from 'node:net'
import {fileURLToPath} from 'node:url'

const spec = JSON.parse(process.argv[2])
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const servers = []
for (const p of spec.peers ?? []) {
  // A relay peer pipes every connection to a Unix socket outside the namespace (where
  // the test relays it on to the real PostgreSQL on loopback): a real server behind a
  // lab address, bytes untouched, so TLS and SCRAM run end to end.
  const server = p.relay
    ? net.createServer((s) => {
        const upstream = net.connect(p.relay)
        s.on('error', () => upstream.destroy())
        upstream.on('error', () => s.destroy())
        s.pipe(upstream).pipe(s)
      })
    : net.createServer((s) => {
        s.on('error', () => {})
        s.on('data', (d) => {
          if (d.length >= 8 && d.readUInt32BE(0) === 8 && d.readUInt32BE(4) === 80877103) s.write('N')
          else s.destroy()
        })
      })
  await new Promise((resolve, reject) => server.once('error', reject).listen(p.port ?? 5432, p.host, resolve))
  servers.push(server)
}
const t = performance.now()
const child = spawn(process.execPath, ['--', bin, ...spec.args], {
  env: {...process.env, ...spec.env},
  stdio: ['ignore', 'pipe', 'pipe'],
})
let stdout = ''
let stderr = ''
child.stdout.on('data', (d) => (stdout += d))
child.stderr.on('data', (d) => (stderr += d))
child.on('close', (code) => {
  for (const s of servers) s.close()
  console.log(JSON.stringify({code, stdout, stderr, ms: Math.round(performance.now() - t)}))
  process.exit(0)
})
