// Runs INSIDE a fault-lab namespace: starts the fault-lab DNS server, then the
// built CLI (bin/run.js) in the given working folder, and relays its exit code,
// output and wall time as one JSON line.
// argv[2]: JSON {dns: {host, port, zone}, dns2?: {…another server}, args: [...], cwd, files?: {name: text},
//                peer?: {host, port}, signal?: {name, onQuery}}  (peer: a Postgres-like front that answers
//                SSLRequest 'N' and drops the StartupMessage, so a login gets as far as the server; signal:
//                sent to the CLI when the DNS server gets a query for the name onQuery while a lookup child
//                of the CLI runs, i.e. the child's own getaddrinfo query)
import {spawn} from 'node:child_process'
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
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
// a mark in the CLI's environment, which its lookup children inherit: the ones left running after it exits
const mark = `DBD_LAB_RUN=${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`
/** Processes still running with the mark (the CLI's lookup children and theirs), by /proc. */
function leftovers() {
  const found = []
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(mark)) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
        if (!/^\d+ \(.*\) Z /s.test(stat))
          found.push(readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '))
      }
    } catch {
      // gone, or not ours
    }
  }
  return found
}
const t = performance.now()
const child = spawn(process.execPath, ['--', bin, ...spec.args], {
  cwd: spec.cwd,
  env: {...process.env, [mark.split('=')[0]]: mark.split('=')[1]},
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
let signalledMs = null
if (spec.signal) {
  // the CLI is blocked on that lookup once its query reaches the server: signal it then
  const push = server.queries.push.bind(server.queries)
  server.queries.push = (...qs) => {
    const fromChild = () => leftovers().some((cmd) => cmd.includes(' -e '))
    if (signalledMs === null && qs.some((q) => q.name === spec.signal.onQuery) && fromChild()) {
      signalledMs = Math.round(performance.now() - t)
      child.kill(spec.signal.name)
    }
    return push(...qs)
  }
}
child.on('close', async (code, signal) => {
  const exitMs = Math.round(performance.now() - t)
  // a killed child may take a moment to be gone: look for up to a second
  let left = leftovers()
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50))
    left = leftovers()
  }
  server.close()
  server2?.close()
  peer?.close()
  console.log(
    JSON.stringify({
      code,
      signal,
      stdout,
      stderr,
      reportMs,
      exitMs,
      signalledMs,
      queries: server.queries,
      leftovers: left,
    }),
  )
  process.exit(0)
})
