// Runs INSIDE a fault-lab namespace: starts the fault-lab DNS server, then the
// built CLI (bin/run.js) in the given working folder, and relays its exit code,
// output and wall time as one JSON line.
// argv[2]: JSON {dns: {host, port, zone}, dns2?: {…another server}, args: [...], cwd, files?: {name: text},
//                peer?: {host, port}}  (peer: a Postgres-like front that answers SSLRequest 'N' and
//                drops the StartupMessage, so a login gets as far as the server)
import {spawn} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {startDnsServer} from './dns-server.mjs'

const spec = JSON.parse(process.argv[2])
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const server = await startDnsServer(spec.dns)
const server2 = spec.dns2 ? await startDnsServer(spec.dns2) : undefined
let peer
if (spec.peer) {
  const net = await import('node:net')
  peer = net.createServer((s) => {
    s.on('error', () => {})
    s.on('data', (d) => {
      if (d.length >= 8 && d.readUInt32BE(0) === 8 && d.readUInt32BE(4) === 80877103) s.write('N')
      else s.destroy()
    })
  })
  await new Promise((resolve, reject) => peer.once('error', reject).listen(spec.peer.port, spec.peer.host, resolve))
}
mkdirSync(spec.cwd, {recursive: true})
for (const [name, text] of Object.entries(spec.files ?? {})) writeFileSync(join(spec.cwd, name), text)
const t = performance.now()
const child = spawn(process.execPath, ['--', bin, ...spec.args], {
  cwd: spec.cwd,
  env: process.env,
  stdio: ['ignore', 'pipe', 'pipe'],
})
let stdout = ''
let stderr = ''
let reportMs = null
child.stdout.on('data', (d) => {
  stdout += d
  reportMs ??= Math.round(performance.now() - t)
})
child.stderr.on('data', (d) => (stderr += d))
child.on('close', (code) => {
  const exitMs = Math.round(performance.now() - t)
  server.close()
  server2?.close()
  peer?.close()
  console.log(JSON.stringify({code, stdout, stderr, reportMs, exitMs, queries: server.queries}))
  process.exit(0)
})
