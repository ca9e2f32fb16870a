// Fault-lab DNS server: a tiny authoritative server for tests, UDP and TCP on the
// same port, driven by a zone object. Plain ESM JavaScript so that both the TS
// tests and .mjs scripts run inside lab namespaces can import it.
//
// Zone: { "name": { A?: string[], AAAA?: string[], rcode?: 'NXDOMAIN'|'SERVFAIL'|'REFUSED',
//                   silent?: true, truncate?: true, stallTcp?: true, garbage?: true } }
// Unknown names get NXDOMAIN. A known name without records of the asked type
// gets NOERROR with no answers (NODATA). `silent` never answers; `truncate`
// answers over UDP with the TC bit and no records, and fully over TCP. `stallTcp` (with
// `truncate`): the TCP retry is accepted and read, and never answered (glibc then waits on the
// TCP read). `garbage`: random bytes instead of a DNS message, over UDP and TCP.
// `firstClientOnly`: only the first client (address:port) that asks for the name is answered
// (one getaddrinfo call uses one socket for its A and AAAA queries); later ones get silence.
// `answerClients: n`: the same for the first n clients (a direct dns-packet query is one
// client per query).
//
// Script use: node test/lab/dns-server.mjs --host 127.0.0.11 --port 53 --zone '<json>'
// prints "READY host:port" once both sockets listen.
import dgram from 'node:dgram'
import net from 'node:net'
import {fileURLToPath} from 'node:url'
import packet from 'dns-packet'

const RCODES = {NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5}
const TC = 1 << 9
const AA = 1 << 10
const RD = 1 << 8
const RA = 1 << 7

/** Bytes that are not a DNS message (with a plausible length so a TCP reader waits for more). */
function garbageBytes() {
  const b = Buffer.alloc(64)
  for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 11) & 0xff
  return b
}

function normalize(name) {
  return String(name).toLowerCase().replace(/\.$/, '')
}

/**
 * @param {{host?: string, port?: number, zone?: Record<string, any>}} [options]
 */
export async function startDnsServer({host = '127.0.0.1', port = 0, zone = {}} = {}, attempt = 0) {
  const entries = new Map(Object.entries(zone).map(([k, v]) => [normalize(k), v]))
  const queries = []
  const family = net.isIPv6(host) ? 'udp6' : 'udp4'
  const udp = dgram.createSocket({type: family, reuseAddr: false})
  const tcp = net.createServer()
  const sockets = new Set()

  /** Build the reply for a decoded query, or null to stay silent. */
  const clientsOf = new Map()
  function answer(query, transport, client) {
    const q = query.questions?.[0]
    const name = q ? normalize(q.name) : ''
    const type = q?.type ?? 'A'
    queries.push({name, type, transport})
    const entry = entries.get(name)
    if (entry?.silent) return null
    const limit = entry?.answerClients ?? (entry?.firstClientOnly ? 1 : 0)
    if (limit > 0) {
      const seen = clientsOf.get(name) ?? []
      if (!seen.includes(client)) seen.push(client)
      clientsOf.set(name, seen)
      if (seen.indexOf(client) >= limit) return null
    }
    if (entry?.garbage) return 'garbage'
    if (entry?.stallTcp && transport === 'tcp') return null
    const base = {
      type: 'response',
      id: query.id,
      flags: AA | RA | (query.flags & RD),
      questions: query.questions ?? [],
      answers: [],
    }
    if (!entry) return {...base, flags: base.flags | RCODES.NXDOMAIN}
    if (entry.rcode) return {...base, flags: base.flags | (RCODES[entry.rcode] ?? 2)}
    if (entry.truncate && transport === 'udp') return {...base, flags: base.flags | TC}
    const records = type === 'A' ? (entry.A ?? []) : type === 'AAAA' ? (entry.AAAA ?? []) : []
    return {
      ...base,
      answers: records.map((data) => ({type, class: 'IN', name: q.name, ttl: 60, data})),
    }
  }

  udp.on('message', (msg, rinfo) => {
    let query
    try {
      query = packet.decode(msg)
    } catch {
      return
    }
    const reply = answer(query, 'udp', `${rinfo.address}:${rinfo.port}`)
    if (!reply) return
    udp.send(reply === 'garbage' ? garbageBytes() : packet.encode(reply), rinfo.port, rinfo.address)
  })
  udp.on('error', () => {})

  tcp.on('connection', (sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => {})
    let buf = Buffer.alloc(0)
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length > 65537) return sock.destroy()
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0)
        if (buf.length < len + 2) break
        const msg = buf.subarray(2, len + 2)
        buf = buf.subarray(len + 2)
        let query
        try {
          query = packet.decode(msg)
        } catch {
          return sock.destroy()
        }
        const reply = answer(query, 'tcp', `${sock.remoteAddress}:${sock.remotePort}`)
        if (reply === 'garbage') sock.write(garbageBytes())
        else if (reply) sock.write(packet.streamEncode(reply))
      }
    })
  })

  // Bind UDP first (port 0 picks one), then TCP on the same number; on a clash, start over.
  let boundPort = port
  try {
    await new Promise((resolve, reject) => {
      udp.once('error', reject)
      udp.bind({address: host, port, exclusive: true}, () => {
        udp.off('error', reject)
        resolve()
      })
    })
    boundPort = udp.address().port
    await new Promise((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen({host, port: boundPort, exclusive: true}, () => {
        tcp.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    try {
      udp.close()
    } catch {}
    if (port !== 0 || attempt >= 20) throw error
    return startDnsServer({host, port, zone}, attempt + 1)
  }

  return {
    host,
    port: boundPort,
    queries,
    /** Change a name's behaviour while running. */
    set(name, behaviour) {
      entries.set(normalize(name), behaviour)
    },
    async close() {
      for (const s of sockets) s.destroy()
      await Promise.all([
        new Promise((resolve) => {
          try {
            udp.close(() => resolve())
          } catch {
            resolve()
          }
        }),
        new Promise((resolve) => tcp.close(() => resolve())),
      ])
    },
  }
}

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--host') out.host = argv[++i]
    else if (a === '--port') out.port = Number(argv[++i])
    else if (a === '--zone') out.zone = JSON.parse(argv[++i])
  }
  return out
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const server = await startDnsServer(parseArgs(process.argv.slice(2)))
  process.stdout.write(`READY ${server.host}:${server.port}\n`)
  const stop = () => server.close().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
