// Runs INSIDE a fault-lab namespace: relays (127.0.0.1:PORT inside → a Unix socket outside, where the test
// relays on to a real PostgreSQL), then the built CLI's `serve` with the given arguments, and a Unix socket
// (`http`) relayed to serve's port, so a Prometheus outside the lab can scrape it. Runs until the file
// `stop` exists, then sends SIGTERM to serve and prints {code, stderr} as one JSON line.
// argv[2]: JSON {relays: [{host, port, sock}], args: [...], port, http, stop, env?}
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import net from 'node:net'
import {fileURLToPath} from 'node:url'

const spec = JSON.parse(process.argv[2])
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const pipe = (a, b) => {
  a.on('error', () => b.destroy())
  b.on('error', () => a.destroy())
  a.pipe(b).pipe(a)
}
const servers = []
for (const r of spec.relays) {
  const server = net.createServer((s) => pipe(s, net.connect(r.sock)))
  await new Promise((resolve, reject) => server.once('error', reject).listen(r.port, r.host, resolve))
  servers.push(server)
}
const http = net.createServer((s) => pipe(s, net.connect(spec.port, '127.0.0.1')))
await new Promise((resolve) => http.listen(spec.http, resolve))
const child = spawn(process.execPath, ['--', bin, ...spec.args], {
  env: {...process.env, ...spec.env},
  stdio: ['ignore', 'ignore', 'pipe'],
})
let stderr = ''
child.stderr.on('data', (d) => (stderr += d))
const poll = setInterval(() => {
  if (existsSync(spec.stop)) {
    clearInterval(poll)
    child.kill('SIGTERM')
  }
}, 100)
child.on('close', (code, signal) => {
  clearInterval(poll)
  for (const s of [...servers, http]) s.close()
  console.log(JSON.stringify({code, signal, stderr}))
  process.exit(0)
})
