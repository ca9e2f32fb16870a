// Closing a probe's connection so that the server has let go of it before db-doctor opens the next one.
// A socket closed with destroy() is gone on our side at once, but the server frees its slot only when it
// reads the end of the stream: PgBouncer at max_client_conn = 1, or a server one slot below
// max_connections, would count db-doctor's own finished probe against the login that follows it and
// refuse that login ("no more connections allowed") — a failure the app never meets. Measured against a
// real PgBouncer with max_client_conn = 1: the TLS probe followed at once by a login was refused 6 times
// in 40, the SSLRequest probe once.
//
// So a probe hands its connection to closeAfterPeer() and returns at once; every probe that connects
// first awaits probeConnectionsClosed(). The wait costs nothing when other work ran in between, and about
// one round trip when the next connection follows at once.
import type {Socket} from 'node:net'

/** How long a peer that keeps its end open after ours is waited for (a hostile or wedged server). */
const PEER_CLOSE_WAIT_MS = 100

/** The closes under way, each with the server port it goes to (undefined over a Unix socket). */
const closing = new Map<Promise<void>, number | undefined>()
/** When the last of db-doctor's own connections ended with the server's close (performance.now()). */
let lastClosedAt = -Infinity

/**
 * Ends the connection; the close completes once the peer has closed its end too, or after waitMs, and
 * the socket is destroyed either way. A socket that is not open (never connected, already ended) is
 * destroyed at once. `outer` is the TLS socket over `socket`, when there is one: it is ended first
 * (close_notify). Never throws.
 */
export function closeAfterPeer(socket: Socket, outer?: Socket, waitMs = PEER_CLOSE_WAIT_MS): void {
  const streams = outer && outer !== socket ? [outer, socket] : [socket]
  for (const s of streams) {
    // the probe's own reader is done (it may have paused the stream); Node's listeners stay
    s.removeAllListeners('data')
    s.on('error', () => {})
  }
  const destroyAll = () => streams.forEach((s) => s.destroy())
  // the outermost stream still open: the TLS socket while TLS is up, else the raw one
  const live = streams.find((s) => !s.destroyed && s.readyState === 'open')
  if (!live) {
    destroyAll()
    return
  }
  const port = live.remotePort
  const closed = new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      destroyAll()
      closing.delete(closed)
      ownConnectionClosed()
      resolve()
    }
    const timer = setTimeout(done, waitMs)
    live.once('close', done)
    // read and drop whatever the peer still sends, so that its end of the stream arrives
    live.on('data', () => {})
    live.resume()
    live.end()
  })
  closing.set(closed, port)
}

/**
 * Resolves when the connections handed to closeAfterPeer() before this call, to `port` (every port when not
 * given), are closed, each within its wait. Closes that start meanwhile are not waited for: their connections
 * ran beside this one (concurrent probes, `serve` probing other targets), so waiting for them would order
 * nothing and could go on for as long as other work keeps closing connections.
 */
export async function probeConnectionsClosed(port?: number): Promise<void> {
  const before = [...closing].filter(([, p]) => port === undefined || p === undefined || p === port)
  await Promise.all(before.map(([c]) => c))
}

/**
 * PgBouncer frees a closed client's slot a moment after it closes the socket (measured: a login 1–7 ms
 * after its log line "closing because: client close request" was still refused at max_client_conn = 1, about
 * once in ten). So a login refused for a connection limit within OWN_SLOT_WINDOW_MS of db-doctor's own
 * close may be refused for db-doctor's own probe: ownSlotRefusal() says so, and the login is made once
 * more after ownSlotsReleased(). A limit the app meets refuses the second login too.
 */
const OWN_SLOT_WINDOW_MS = 1000
const OWN_SLOT_GRACE_MS = 100

/** Notes that one of db-doctor's connections just ended (a probe's here; a session's in pg-session.ts). */
export function ownConnectionClosed(): void {
  lastClosedAt = performance.now()
}

export function ownSlotRefusal(): boolean {
  return closing.size > 0 || performance.now() - lastClosedAt < OWN_SLOT_WINDOW_MS
}

/** The moment PgBouncer takes to free the slot (the login made again awaits the closes itself). */
export async function ownSlotsReleased(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, OWN_SLOT_GRACE_MS))
}
