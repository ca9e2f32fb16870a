// SSLRequest probe against real peers on loopback.
import {afterAll, describe, expect, it} from 'vitest'
import {
  classifyAnswer,
  escapeBytes,
  parseErrorPacket,
  probeSslRequest,
  recognize,
  sslRequestPacket,
} from '../../src/probes/ssl-request.js'
import {
  type Peer,
  bannerPeer,
  closingPeer,
  endlessPeer,
  errorPacket,
  httpPeer,
  postgresPeer,
  refusingPort,
  silentPeer,
} from '../lab/peers.mjs'

const peers: Peer[] = []
async function peer<T extends Peer>(p: Promise<T>): Promise<T> {
  const x = await p
  peers.push(x)
  return x
}
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()))
})
const OPTS = {connectTimeoutMs: 1000, answerTimeoutMs: 1000}

describe('probeSslRequest', () => {
  it("reads 'S' and sends exactly the 8-byte SSLRequest", async () => {
    const pg = await peer(postgresPeer('S'))
    const r = await probeSslRequest('127.0.0.1', pg.port, OPTS)
    expect(r).toMatchObject({kind: 'answer', answer: 'S'})
    await new Promise((res) => setTimeout(res, 50))
    expect(Buffer.concat(pg.received[0])).toEqual(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]))
    expect(sslRequestPacket()).toEqual(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]))
  })
  it("reads 'N'", async () => {
    const pg = await peer(postgresPeer('N'))
    expect(await probeSslRequest('127.0.0.1', pg.port, OPTS)).toMatchObject({kind: 'answer', answer: 'N'})
  })
  it('recognises an HTTP server and escapes its bytes', async () => {
    const p = await peer(httpPeer())
    const r = await probeSslRequest('127.0.0.1', p.port, OPTS)
    expect(r).toMatchObject({kind: 'foreign', recognized: 'http'})
    if (r.kind === 'foreign') expect(r.bytes.startsWith('HTTP/1.1 400 Bad Request\\x0d\\x0a')).toBe(true)
  })
  it('an SSH banner starts with S but is not an answer', async () => {
    const p = await peer(bannerPeer('SSH-2.0-OpenSSH_9.6\r\n', {keepOpen: true}))
    expect(await probeSslRequest('127.0.0.1', p.port, OPTS)).toMatchObject({kind: 'foreign', recognized: 'ssh'})
  })
  it('parses an E error packet (pooler rejecting SSLRequest)', async () => {
    const p = await peer(bannerPeer(errorPacket('unsupported startup parameter', '08P01'), {afterData: true}))
    const r = await probeSslRequest('127.0.0.1', p.port, OPTS)
    expect(r).toMatchObject({
      kind: 'error-packet',
      error: {protocol: 3, code: '08P01', message: 'unsupported startup parameter', severity: 'FATAL'},
    })
  })
  it('times out on a silent peer within the answer budget', async () => {
    const p = await peer(silentPeer())
    const t = performance.now()
    const r = await probeSslRequest('127.0.0.1', p.port, {connectTimeoutMs: 1000, answerTimeoutMs: 300})
    expect(r).toMatchObject({kind: 'timeout', phase: 'answer'})
    // the answer budget plus 1 s of a loaded machine's timer lag; not the 1 s connect budget on top
    expect(performance.now() - t).toBeLessThan(300 + 1000)
  })
  it('reports a peer that closes without a byte', async () => {
    const p = await peer(closingPeer())
    expect(await probeSslRequest('127.0.0.1', p.port, OPTS)).toMatchObject({kind: 'closed'})
  })
  it('reports a refused connect', async () => {
    const p = await refusingPort()
    expect(await probeSslRequest('127.0.0.1', p.port, OPTS)).toMatchObject({
      kind: 'connect-error',
      code: 'ECONNREFUSED',
    })
  })
  it('an endless sender costs neither memory nor time', async () => {
    const p = await peer(endlessPeer())
    const before = process.memoryUsage().rss
    const t = performance.now()
    const r = await probeSslRequest('127.0.0.1', p.port, OPTS)
    // it stops at the first bytes: well before the 1 s answer budget a reader of the whole stream would run into
    expect(performance.now() - t).toBeLessThan(OPTS.answerTimeoutMs)
    expect(r.kind).toBe('foreign')
    if (r.kind === 'foreign') expect(r.bytes).toBe('A'.repeat(64) + '…')
    await new Promise((res) => setTimeout(res, 200))
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024)
  })
})

describe('pure helpers', () => {
  it('escapes to printable ASCII and \\xNN, at most 64 bytes', () => {
    expect(escapeBytes(Buffer.from([0x41, 0x00, 0x5c, 0xff, 0x0a]))).toBe('A\\x00\\\\\\xff\\x0a')
    expect(escapeBytes(Buffer.alloc(100, 0x42))).toBe('B'.repeat(64) + '…')
  })
  it('recognises common services', () => {
    expect(recognize(Buffer.from('-ERR unknown command'))).toBe('redis')
    expect(recognize(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32]))).toBe('tls')
    const mysql = Buffer.concat([Buffer.from([0x4a, 0x00, 0x00, 0x00, 0x0a]), Buffer.from('8.0.36\0')])
    expect(recognize(mysql)).toBe('mysql')
    expect(recognize(Buffer.from('220 mail.example ESMTP'))).toBe('smtp')
  })
  it('a lone S or N is an answer; S followed by more bytes is not', () => {
    expect(classifyAnswer(Buffer.from('N'), 1)).toMatchObject({kind: 'answer', answer: 'N'})
    expect(classifyAnswer(Buffer.from('Sx'), 1)).toMatchObject({kind: 'foreign', recognized: null})
  })
  it('parses the protocol-2 error form', () => {
    expect(parseErrorPacket(Buffer.from('EFATAL: unsupported frontend protocol\n\0'))).toMatchObject({
      protocol: 2,
      message: 'FATAL: unsupported frontend protocol',
    })
  })
})
