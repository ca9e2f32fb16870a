import {describe, expect, it} from 'vitest'
import {
  type NodeDefaults,
  type ObservedAttempt,
  applyDnsOrder,
  interleaveFamilies,
  kernelSynTimeoutMs,
  nodeNetSettings,
  predictLibpq,
  predictNode,
  splitNodeOptions,
} from '../../src/network/happy-eyeballs.js'
import {explainDifference, predictionStory} from '../../src/catalogue/tcp.js'

const NODE20: NodeDefaults = {
  autoSelectFamily: true,
  attemptTimeoutMs: 250,
  dnsOrder: 'verbatim',
  label: 'Node 20 default',
}
const v6dead: ObservedAttempt = {address: '2001:db8::10', family: 6, outcome: 'timeout', ms: 2000}
const v6refused: ObservedAttempt = {
  address: '2001:db8::10',
  family: 6,
  outcome: 'refused',
  ms: 1,
  errorCode: 'ECONNREFUSED',
}
const v4ok: ObservedAttempt = {address: '192.0.2.10', family: 4, outcome: 'connected', ms: 3}
const v4dead: ObservedAttempt = {address: '192.0.2.10', family: 4, outcome: 'timeout', ms: 2000}
const v4refused: ObservedAttempt = {
  address: '192.0.2.10',
  family: 4,
  outcome: 'refused',
  ms: 1,
  errorCode: 'ECONNREFUSED',
}
const KERNEL = kernelSynTimeoutMs(6)

describe('NODE_OPTIONS parsing', () => {
  it('splits like Node, with quotes', () => {
    expect(splitNodeOptions(' --a  --b="x y" "--c" ')).toEqual(['--a', '--b=x y', '--c'])
    expect(splitNodeOptions(undefined)).toEqual([])
  })
  it('keeps the defaults and says so', () => {
    const s = nodeNetSettings('--max-old-space-size=4096', NODE20)
    expect(s).toMatchObject({autoSelectFamily: true, attemptTimeoutMs: 250, dnsOrder: 'verbatim'})
    expect(s.from.autoSelectFamily).toBe('Node 20 default')
  })
  it('reads the network flags, last one wins, space or = forms, minimum 10 ms', () => {
    const s = nodeNetSettings(
      '--network-family-autoselection --no-network-family-autoselection --dns-result-order ipv4first --network-family-autoselection-attempt-timeout=5',
      NODE20,
    )
    expect(s).toMatchObject({autoSelectFamily: false, attemptTimeoutMs: 10, dnsOrder: 'ipv4first'})
    expect(s.from).toEqual({
      autoSelectFamily: 'NODE_OPTIONS',
      attemptTimeoutMs: 'NODE_OPTIONS',
      dnsOrder: 'NODE_OPTIONS',
    })
    expect(
      nodeNetSettings('--enable-network-family-autoselection', {...NODE20, autoSelectFamily: false}).autoSelectFamily,
    ).toBe(true)
    expect(nodeNetSettings('--dns-result-order=bogus', NODE20).dnsOrder).toBe('verbatim')
  })
})

describe('address order', () => {
  const list = [
    {address: '2001:db8::1', family: 6 as const},
    {address: '2001:db8::2', family: 6 as const},
    {address: '192.0.2.1', family: 4 as const},
    {address: '192.0.2.1', family: 4 as const},
  ]
  it('applies --dns-result-order stably', () => {
    expect(applyDnsOrder(list, 'ipv4first').map((a) => a.address)).toEqual([
      '192.0.2.1',
      '192.0.2.1',
      '2001:db8::1',
      '2001:db8::2',
    ])
    expect(applyDnsOrder(list, 'verbatim')).toEqual(list)
  })
  it('interleaves families from the first one and drops duplicates, like internalConnectMultiple', () => {
    expect(interleaveFamilies(list).map((a) => a.address)).toEqual(['2001:db8::1', '192.0.2.1', '2001:db8::2'])
  })
  it('knows the kernel SYN timeout', () => {
    expect(KERNEL).toBe(127_000)
    expect(kernelSynTimeoutMs(2)).toBe(7_000)
  })
})

describe('node-postgres prediction', () => {
  it('Happy Eyeballs gives up on a dead IPv6 after the attempt timeout and lands on IPv4', () => {
    const p = predictNode({attempts: [v6dead, v4ok], settings: nodeNetSettings('', NODE20), kernelTimeoutMs: KERNEL})
    expect(p).toMatchObject({ok: true, address: '192.0.2.10', afterMs: 253, error: null})
    expect(p.steps.map((s) => s.result)).toEqual(['abandoned', 'connected'])
    expect(predictionStory(p)).toContain('250 ms per attempt')
  })
  it('a longer attempt timeout costs that much', () => {
    const p = predictNode({
      attempts: [v6dead, v4ok],
      settings: nodeNetSettings('--network-family-autoselection-attempt-timeout=1000', NODE20),
    })
    expect(p.afterMs).toBe(1003)
  })
  it('ipv4first goes straight to IPv4', () => {
    const p = predictNode({attempts: [v6dead, v4ok], settings: nodeNetSettings('--dns-result-order=ipv4first', NODE20)})
    expect(p).toMatchObject({ok: true, address: '192.0.2.10', afterMs: 3})
  })
  it('without autoselection only the first address is tried: the kernel timeout, or pg connectionTimeoutMillis', () => {
    const settings = nodeNetSettings('--no-network-family-autoselection', NODE20)
    const p = predictNode({attempts: [v6dead, v4ok], settings, kernelTimeoutMs: KERNEL})
    expect(p).toMatchObject({ok: false, afterMs: KERNEL, error: 'Error: connect ETIMEDOUT'})
    expect(p.steps).toHaveLength(1)
    const cut = predictNode({attempts: [v6dead, v4ok], settings, connectionTimeoutMillis: 5000})
    expect(cut).toMatchObject({ok: false, afterMs: 5000, error: 'Error: timeout expired'})
  })
  it('fails with AggregateError [ETIMEDOUT] when the first attempt timed out and the last is refused', () => {
    const p = predictNode({attempts: [v6dead, v4refused], settings: nodeNetSettings('', NODE20)})
    expect(p).toMatchObject({ok: false, afterMs: 251, error: 'AggregateError [ETIMEDOUT]'})
  })
  it('the last attempt has no attempt timer: all dead waits for the kernel', () => {
    const p = predictNode({attempts: [v6dead, v4dead], settings: nodeNetSettings('', NODE20), kernelTimeoutMs: KERNEL})
    expect(p).toMatchObject({ok: false, afterMs: 250 + KERNEL, error: 'AggregateError [ETIMEDOUT]'})
  })
  it('an error moves on at once', () => {
    const p = predictNode({attempts: [v6refused, v4ok], settings: nodeNetSettings('', NODE20)})
    expect(p).toMatchObject({ok: true, address: '192.0.2.10', afterMs: 4})
  })
  it('a slow but alive first address is abandoned when slower than the attempt timeout', () => {
    const slow: ObservedAttempt = {...v4ok, address: '2001:db8::99', family: 6, ms: 400}
    const p = predictNode({attempts: [slow, v4ok], settings: nodeNetSettings('', NODE20)})
    expect(p.steps.map((s) => s.result)).toEqual(['abandoned', 'connected'])
  })
  it('an IP literal is one connect, no lookup', () => {
    const p = predictNode({attempts: [v4ok], settings: nodeNetSettings('', NODE20), literal: true})
    expect(p).toMatchObject({ok: true, address: '192.0.2.10'})
    expect(predictionStory(p)).toContain('IP address')
  })
})

describe('libpq prediction and the one-sentence explanation', () => {
  it('psql waits the kernel timeout per silent address without connect_timeout', () => {
    const p = predictLibpq({attempts: [v6dead, v4ok], kernelTimeoutMs: KERNEL})
    expect(p).toMatchObject({ok: true, address: '192.0.2.10', afterMs: KERNEL + 3})
  })
  it('connect_timeout applies per address, minimum 2 s', () => {
    expect(predictLibpq({attempts: [v6dead, v4ok], connectTimeoutS: 5}).afterMs).toBe(5003)
    expect(predictLibpq({attempts: [v6dead, v4ok], connectTimeoutS: 1}).afterMs).toBe(2003)
    expect(predictLibpq({attempts: [v6dead, v4dead], connectTimeoutS: 3})).toMatchObject({
      ok: false,
      afterMs: 6000,
      error: 'timeout expired',
    })
  })
  it('explains "psql works but my Node app does not"', () => {
    const settings = nodeNetSettings('--no-network-family-autoselection', NODE20)
    const node = predictNode({attempts: [v6dead, v4ok], settings, connectionTimeoutMillis: 5000})
    const psql = predictLibpq({attempts: [v6dead, v4ok], connectTimeoutS: 3})
    const s = explainDifference(node, psql, settings)!
    expect(s).toMatch(
      /^psql works but your Node app does not: psql falls through to 192\.0\.2\.10 after 3 s, while Node tries only the first address, 2001:db8::10 \(network-family autoselection is off, from NODE_OPTIONS\)/,
    )
    expect(s).toContain('Error: timeout expired')
    // without connectionTimeoutMillis: the kernel's timeout, and a hint about connectionTimeoutMillis
    const slow = explainDifference(
      predictNode({attempts: [v6dead, v4ok], settings, kernelTimeoutMs: KERNEL}),
      psql,
      settings,
    )!
    expect(slow).toContain(
      'fails with Error: connect ETIMEDOUT after 127 s (or with Error: timeout expired when the app sets',
    )
  })
  it('explains the reverse and stays quiet when both agree', () => {
    const settings = nodeNetSettings('', NODE20)
    const node = predictNode({attempts: [v6dead, v4ok], settings})
    const psql = predictLibpq({attempts: [v6dead, v4ok], kernelTimeoutMs: KERNEL})
    expect(explainDifference(node, psql, settings)).toBe(
      'Your Node app connects to 192.0.2.10 after 253 ms (Happy Eyeballs gives up on 2001:db8::10 after 250 ms); psql connects to 192.0.2.10 only after 127 s because it waits 127 s on 2001:db8::10 first.',
    )
    const same = predictNode({attempts: [v4ok], settings})
    expect(explainDifference(same, predictLibpq({attempts: [v4ok]}), settings)).toBeNull()
  })
})
