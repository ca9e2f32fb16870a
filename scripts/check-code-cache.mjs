// Makes dist/bundle/check.cache (bin/load-check.js) once check.cjs has run one check, so that V8 keeps the code
// of every function that check compiled, not only of the top level: a run then compiles little of its own.
// The check: a CONNECTION at a closed port on loopback (refused at once; the tcp check may then send the
// 8-byte SSLRequest to the usual PostgreSQL ports on loopback, nothing else), its output discarded.
// scripts/bundle.mjs runs this in an empty temporary folder with no environment but PATH.
import net from 'node:net'
import {makeCheckCodeCache} from '../bin/load-check.js'

const port = await new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const {port} = server.address()
    server.close(() => resolve(port))
  })
})
process.argv = [
  process.argv[0],
  'db-doctor',
  'check',
  `postgres://warm:up@127.0.0.1:${port}/db?sslmode=verify-full`,
  '--json',
]
process.stdout.write = () => true
await makeCheckCodeCache((check) => check.main(new URL('../bin/run.js', import.meta.url).href))
process.exit(0)
