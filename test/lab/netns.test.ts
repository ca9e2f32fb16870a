import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {labSupport, lastJsonLine, runInLab} from './netns.js'

const lab = labSupport()
if (!lab.ok) console.warn(`[fault lab skipped] ${lab.reason}`)
const script = fileURLToPath(new URL('./selfcheck.mjs', import.meta.url))

interface SelfCheck {
  lookup: {address: string; family: number}[] | null
  lookupError: string | null
  attempts: {address: string; outcome: string; ms: number}[]
  hosts: string
}

describe.skipIf(!lab.ok)('fault lab (network namespace)', () => {
  it('resolves a dual-stack name from its own hosts file, blackholes one address and lets nothing out', async () => {
    const r = await runInLab({
      addresses: ['192.0.2.10/24', '2001:db8::10/64'],
      blackhole: ['2001:db8::10'],
      unreachable: ['198.51.100.0/24'],
      hosts: '127.0.0.1 localhost\n192.0.2.10 db.lab.test\n2001:db8::10 db.lab.test\n',
      script,
      args: ['db.lab.test', '192.0.2.10', '192.0.2.10', '2001:db8::10', '198.51.100.7', '203.0.113.9'],
      timeoutMs: 10_000,
    })
    expect(r.stderr).toBe('')
    const out = lastJsonLine<SelfCheck>(r.stdout)
    // AI_ADDRCONFIG keeps both families because the lab has non-loopback addresses of both
    expect(out.lookup?.map((a) => a.address).sort()).toEqual(['192.0.2.10', '2001:db8::10'])
    const by = Object.fromEntries(out.attempts.map((a) => [a.address, a]))
    expect(by['192.0.2.10'].outcome).toBe('connected')
    expect(by['2001:db8::10'].outcome).toBe('timeout') // dropped SYN: no RST
    expect(by['198.51.100.7'].outcome).toBe('EHOSTUNREACH')
    expect(by['203.0.113.9'].outcome).toBe('ENETUNREACH') // no route out of the lab
  })

  it('uses its own hosts file and has no resolver by default', async () => {
    const r = await runInLab({script, args: ['db.lab.test'], timeoutMs: 10_000})
    const out = lastJsonLine<SelfCheck>(r.stdout)
    expect(out.hosts).not.toContain('db.lab.test')
    expect(out.lookup).toBeNull()
    expect(out.lookupError).toMatch(/ENOTFOUND|EAI_AGAIN/)
  })

  it('kills a script that outlives its budget', async () => {
    const r = await runInLab({
      script,
      args: ['localhost', '', '192.0.2.20'],
      addresses: ['192.0.2.10/24'],
      blackhole: ['192.0.2.20'],
      nodeArgs: ['-e', 'setTimeout(() => {}, 60_000)'],
      timeoutMs: 1_000,
    })
    expect(r.timedOut).toBe(true)
    // killed at 1 s; the rest is tearing the namespace down on a loaded machine (not killed: 60 s)
    expect(r.ms).toBeLessThan(10_000)
  })
})
