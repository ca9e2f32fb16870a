// TCP probe against real peers on loopback.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {classifyConnectError, probeTcp, probeTcpAll} from '../../src/probes/tcp.js'
import {type Peer, refusingPort, silentPeer} from '../lab/peers.mjs'

let silent: Peer
let refusing: Peer
beforeAll(async () => {
  silent = await silentPeer()
  refusing = await refusingPort()
})
afterAll(async () => {
  await silent.close()
})

describe('probeTcp', () => {
  it('connects and measures', async () => {
    const a = await probeTcp({address: '127.0.0.1', family: 4}, silent.port, 1000)
    expect(a).toMatchObject({address: '127.0.0.1', family: 4, port: silent.port, outcome: 'connected'})
    expect(a.ms).toBeLessThan(1000)
  })
  it('classifies a refused port', async () => {
    const a = await probeTcp({address: '127.0.0.1', family: 4}, refusing.port, 1000)
    expect(a).toMatchObject({outcome: 'refused', errorCode: 'ECONNREFUSED'})
  })
  it('IPv6 loopback refused or unreachable, never hangs', async () => {
    const a = await probeTcp({address: '::1', family: 6}, refusing.port, 1000)
    expect(['refused', 'unreachable']).toContain(a.outcome)
  })
  it('probes all addresses concurrently, in the order given', async () => {
    const t = performance.now()
    const all = await probeTcpAll(
      [
        {address: '127.0.0.1', family: 4},
        {address: '127.0.0.2', family: 4},
      ],
      silent.port,
      1000,
    )
    expect(all.map((a) => a.address)).toEqual(['127.0.0.1', '127.0.0.2'])
    expect(all[0].outcome).toBe('connected')
    expect(all[1].outcome).toBe('refused') // the peer listens on 127.0.0.1 only
    expect(performance.now() - t).toBeLessThan(1000)
  })
  it('maps error codes', () => {
    expect(classifyConnectError('EHOSTUNREACH')).toBe('unreachable')
    expect(classifyConnectError('EADDRNOTAVAIL')).toBe('unreachable')
    expect(classifyConnectError('ECONNRESET')).toBe('reset')
    expect(classifyConnectError('EWHAT')).toBe('error')
  })
})
