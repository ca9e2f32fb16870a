// Runs INSIDE a fault-lab namespace: starts the fault-lab DNS server, then the
// built CLI (bin/run.js) in the given working folder, and relays its exit code,
// output and wall time as one JSON line.
// argv[2]: JSON {dns: {host, port, zone}, args: [...], cwd, files?: {name: text}}
import {spawn} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {startDnsServer} from './dns-server.mjs'

const spec = JSON.parse(process.argv[2])
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const server = await startDnsServer(spec.dns)
mkdirSync(spec.cwd, {recursive: true})
for (const [name, text] of Object.entries(spec.files ?? {})) writeFileSync(join(spec.cwd, name), text)
const t = performance.now()
const child = spawn(process.execPath, ['--', bin, ...spec.args], {cwd: spec.cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe']})
let stdout = ''
let stderr = ''
let reportMs = null
child.stdout.on('data', (d) => {
  stdout += d
  reportMs ??= Math.round(performance.now() - t)
})
child.stderr.on('data', (d) => (stderr += d))
child.on('close', (code) => {
  server.close()
  console.log(JSON.stringify({code, stdout, stderr, reportMs, exitMs: Math.round(performance.now() - t)}))
  process.exit(0)
})
