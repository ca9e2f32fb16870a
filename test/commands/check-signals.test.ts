// `db-doctor check` stopped by SIGTERM / SIGINT (a Kubernetes init container or an Argo CD PreSync job ended on
// its timeout, Ctrl-C): the built CLI (bin/run.js, the fast path and oclif's) is blocked on a peer that accepts
// and never answers (test/lab/peers.mjs silentPeer: the postgres check waits for the answer to its SSLRequest),
// and gets a real signal once the peer has the SSLRequest. It stops at once: the checks that ended and the
// running one (a skip naming the signal) in a failing report, one line on stderr, exit 1 — never a death by
// signal (143/130) that a `db-doctor check && migrate` would read as something else. The lookup children it
// leaves behind are tested in test/lab/dns-exit.test.ts.
import {spawn} from 'node:child_process'
import net from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {BIN, cleanEnv} from '../helpers/cli.js'

const PASSWORD = 'sig-canary-Pw-51e0'
const servers: net.Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()))
})

/** A peer that accepts and never writes; `asked` resolves when a client's first bytes (its SSLRequest) arrive. */
async function silent(): Promise<{port: number; asked: Promise<void>}> {
  let onAsk: () => void = () => {}
  const asked = new Promise<void>((r) => (onAsk = r))
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.once('data', () => onAsk())
  })
  server.on('close', () => sockets.forEach((s) => s.destroy()))
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const close = server.close.bind(server)
  server.close = ((cb?: () => void) => (sockets.forEach((s) => s.destroy()), close(cb))) as typeof server.close
  return {port: (server.address() as net.AddressInfo).port, asked}
}

/** The built CLI, signalled once the peer has its SSLRequest; exit code, signal, outputs, ms from signal to exit. */
async function signalled(
  args: string[],
  signal: NodeJS.Signals,
  asked: Promise<void>,
  env: Record<string, string> = {},
  again = false,
) {
  const child = spawn(process.execPath, ['--', BIN, ...args], {env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const closed = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((r) =>
    child.on('close', (code, sig) => r({code, signal: sig})),
  )
  await Promise.race([asked, closed])
  const sent = performance.now()
  child.kill(signal)
  // `again`: a second signal as the stop is being reported (its line on stderr), before the exit
  if (again)
    child.stderr.on('data', function second() {
      if (!stderr.includes('stopped by')) return
      child.stderr.off('data', second)
      child.kill(signal)
    })
  const end = await closed
  const r = {...end, stdout, stderr, afterSignalMs: performance.now() - sent}
  expect(r.stdout + r.stderr).not.toContain(PASSWORD)
  return r
}

const url = (port: number) => `postgres://app:${PASSWORD}@127.0.0.1:${port}/appdb?sslmode=disable`

describe('check stopped by a signal while blocked on a silent peer', () => {
  it('SIGTERM, --json (fast path): the checks that ended and the running one, failing report, exit 1 at once', async () => {
    const peer = await silent()
    // --timeout 60 s: without the signal the postgres check would wait a minute for the answer
    const r = await signalled(['check', url(peer.port), '--json', '--timeout', '60000'], 'SIGTERM', peer.asked)
    expect(r.signal).toBeNull()
    expect(r.code, r.stderr).toBe(1)
    // at once: far below the 60 s the blocked step would have taken (Node's exit and a loaded machine aside)
    expect(r.afterSignalMs).toBeLessThan(10_000)
    const report = JSON.parse(r.stdout) as Report
    expect(report.summary.verdict).toBe('failing')
    const ids = report.checks.map((c) => [c.id, c.status])
    expect(ids).toEqual([
      ['config', 'pass'],
      ['dns', 'pass'],
      ['tcp', 'pass'],
      ['docker', expect.any(String)],
      ['postgres', 'skip'],
    ])
    const cut = report.checks.at(-1)!
    expect(cut.summary).toMatch(/^Not finished: db-doctor received SIGTERM \d+ ms into the postgres check/)
    expect(cut.evidence).toMatchObject({cutBy: 'interrupted', signal: 'SIGTERM'})
    expect(r.stderr).toContain('db-doctor check: stopped by SIGTERM; the report has the 5 checks')
  })

  it('SIGINT, text with --output json (oclif path: DEBUG in the environment): the same, in every output', async () => {
    const peer = await silent()
    const {mkdtempSync, readFileSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {join} = await import('node:path')
    const file = join(mkdtempSync(join(tmpdir(), 'dbd-sig-')), 'report.json')
    const r = await signalled(
      ['check', url(peer.port), '--timeout', '60000', '--output', `json=${file}`],
      'SIGINT',
      peer.asked,
      {DEBUG: ''},
    )
    expect(r.signal).toBeNull()
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toContain('db-doctor received SIGINT')
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report
    expect(report.checks.at(-1)).toMatchObject({id: 'postgres', status: 'skip', evidence: {signal: 'SIGINT'}})
    expect(r.stderr).toContain('db-doctor check: stopped by SIGINT')
  })

  it('a second signal as the stop is reported (a kubelet insisting, Ctrl-C twice): still exit 1, never by the signal', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const peer = await silent()
      const r = await signalled(['check', url(peer.port), '--json', '--timeout', '60000'], signal, peer.asked, {}, true)
      expect(r.signal, r.stderr).toBeNull()
      expect(r.code, r.stderr).toBe(1)
      expect(r.afterSignalMs).toBeLessThan(10_000)
    }
  })

  it('several targets (a fleet): no report, one line on stderr, exit 1', async () => {
    const peer = await silent()
    const r = await signalled(
      ['check', url(peer.port), url(peer.port), '--json', '--timeout', '60000'],
      'SIGTERM',
      peer.asked,
    )
    expect(r.signal).toBeNull()
    expect(r.code).toBe(1)
    expect(r.stdout.trim()).toBe('')
    expect(r.stderr).toContain('db-doctor check: stopped by SIGTERM; no report')
  })
})
