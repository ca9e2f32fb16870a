// Runs inside the lab: reports what the namespace looks like from Node.
// argv: port to listen on (on every lab address), then addresses to try.
import dns from 'node:dns/promises'
import net from 'node:net'
import {readFileSync} from 'node:fs'

const [name, listenOn, ...targets] = process.argv.slice(2)
const out = {lookup: null, lookupError: null, attempts: [], hosts: readFileSync('/etc/hosts', 'utf8')}
try {
  out.lookup = await dns.lookup(name, {all: true})
} catch (e) {
  out.lookupError = e.code
}
const servers = []
for (const a of listenOn ? listenOn.split(',') : []) {
  const srv = net.createServer((s) => s.end())
  await new Promise((r, j) => srv.once('error', j).listen(5432, a, r))
  servers.push(srv)
}
await Promise.all(
  targets.map(
    (a) =>
      new Promise((r) => {
        const t = performance.now()
        const done = (outcome) => {
          out.attempts.push({address: a, outcome, ms: Math.round(performance.now() - t)})
          s.destroy()
          r()
        }
        const s = net.connect({host: a, port: 5432, autoSelectFamily: false})
        s.setTimeout(800, () => done('timeout'))
        s.on('connect', () => done('connected'))
        s.on('error', (e) => done(e.code))
      }),
  ),
)
for (const s of servers) s.close()
console.log(JSON.stringify(out))
