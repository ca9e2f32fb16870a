// The wait loop's logic (pure: the attempts are scripted reports). The real thing — a port
// that opens late, a port that never opens, a wrong password — is in test/commands/wait.test.ts.
import {describe, expect, it} from 'vitest'
import type {CheckResult, Report, Status} from '../../src/core/types.js'
import {attemptTracker} from '../../src/app/attempt.js'
import {backoff, blockingOf, waitUntilHealthy} from '../../src/wait/index.js'

function report(status: Status, code: string | null = null): Report {
  const c: CheckResult = {
    id: 'tcp',
    title: 'TCP',
    status,
    code,
    summary: code ?? 'ok',
    evidence: {},
    fix: null,
    durationMs: 1,
  }
  const verdict = status === 'fail' ? 'failing' : status === 'warn' ? 'degraded' : 'healthy'
  return {
    version: 1,
    tool: 't',
    target: {host: 'h', port: 1, database: 'd', user: 'u', sslmode: null, sources: {}},
    checks: [c],
    summary: {
      pass: status === 'pass' ? 1 : 0,
      warn: status === 'warn' ? 1 : 0,
      fail: status === 'fail' ? 1 : 0,
      skip: 0,
      verdict,
    },
  }
}

describe('backoff', () => {
  it('starts at --interval, doubles, jitters down by at most 20 %, caps at 5 s', () => {
    expect(backoff(1, 200, 5000, () => 0.99)).toBe(200)
    expect(backoff(2, 200, 5000, () => 0)).toBe(400)
    expect(backoff(3, 200, 5000, () => 0)).toBe(800)
    expect(backoff(3, 200, 5000, () => 0.5)).toBe(720)
    expect(backoff(20, 200, 5000, () => 0)).toBe(5000)
    for (let n = 1; n < 50; n++) expect(backoff(n, 1000, 5000, Math.random)).toBeLessThanOrEqual(5000)
  })
})

describe('blockingOf', () => {
  it('prefers a failure waiting cannot fix; warnings only block under --strict', () => {
    const fleet = {
      version: 1 as const,
      tool: 't',
      reports: [
        {...report('fail', 'TCP_REFUSED'), name: 'a'},
        {...report('fail', 'AUTH_PASSWORD_FAILED'), name: 'b'},
      ],
      summary: {targets: 2, healthy: 0, degraded: 0, failing: 2, verdict: 'failing' as const},
    }
    expect(blockingOf(fleet, false, (c) => c === 'TCP_REFUSED')).toMatchObject({
      code: 'AUTH_PASSWORD_FAILED',
      target: 'b',
      transient: false,
    })
    expect(blockingOf(report('warn', 'TCP_IPV6_FAILED'), false, () => true)).toBeUndefined()
    expect(blockingOf(report('warn', 'TCP_IPV6_FAILED'), true, () => true)).toMatchObject({code: 'TCP_IPV6_FAILED'})
  })
})

describe('waitUntilHealthy', () => {
  it('retries transient failures until healthy', async () => {
    const script = [report('fail', 'TCP_REFUSED'), report('fail', 'AUTH_SERVER_STARTING'), report('pass')]
    const seen: string[] = []
    const r = await waitUntilHealthy({
      attempt: async () => script.shift()!,
      deadlineMs: 10_000,
      intervalMs: 10,
      onAttempt: (a) => seen.push(a.blocking?.code ?? 'healthy'),
    })
    expect(r).toMatchObject({outcome: 'healthy', attempts: 3})
    expect(seen).toEqual(['TCP_REFUSED', 'AUTH_SERVER_STARTING', 'healthy'])
  })

  it('stops at once on a failure waiting cannot fix (the catalogue says transient: false)', async () => {
    let n = 0
    const r = await waitUntilHealthy({
      attempt: async () => (n++, report('fail', 'AUTH_PASSWORD_FAILED')),
      deadlineMs: 10_000,
      intervalMs: 10,
    })
    expect(r).toMatchObject({outcome: 'permanent', attempts: 1, blocking: {code: 'AUTH_PASSWORD_FAILED'}})
    expect(n).toBe(1)
  })

  it('retries a name that does not resolve yet (a compose service or headless Service before the database is up)', async () => {
    const script = [report('fail', 'DNS_NOT_FOUND'), report('fail', 'TCP_REFUSED'), report('pass')]
    const r = await waitUntilHealthy({attempt: async () => script.shift()!, deadlineMs: 10_000, intervalMs: 10})
    expect(r).toMatchObject({outcome: 'healthy', attempts: 3})
  })

  it('a warning is healthy enough unless --strict', async () => {
    expect(
      (
        await waitUntilHealthy({
          attempt: async () => report('warn', 'SSLMODE_VERIFY_SEMANTICS'),
          deadlineMs: 1000,
          intervalMs: 10,
        })
      ).outcome,
    ).toBe('healthy')
    const strict = await waitUntilHealthy({
      attempt: async () => report('warn', 'SSLMODE_VERIFY_SEMANTICS'),
      deadlineMs: 1000,
      intervalMs: 10,
      strict: true,
    })
    expect(strict.outcome).toBe('permanent')
  })

  it('gives up at the deadline with the last state, even while an attempt hangs', async () => {
    let n = 0
    const r = await waitUntilHealthy({
      attempt: () => (n++ === 0 ? Promise.resolve(report('fail', 'TCP_TIMEOUT')) : new Promise<Report>(() => {})),
      deadlineMs: 300,
      intervalMs: 50,
    })
    expect(r.outcome).toBe('deadline')
    expect(r.blocking?.code).toBe('TCP_TIMEOUT')
    expect(r.report).toBeDefined()
  })

  it('the deadline cuts the only attempt: the report of what it found so far (the checks that ended, the one running)', async () => {
    const tracker = attemptTracker('db-doctor@test')
    const r = await waitUntilHealthy({
      attempt: () => {
        const ended = report('pass').checks[0]!
        tracker.hooks.onStart?.({id: 'tcp', title: 'TCP'} as never)
        tracker.hooks.onEnd?.(ended)
        tracker.hooks.onStart?.({id: 'auth', title: 'Login'} as never)
        return new Promise<Report>(() => {})
      },
      deadlineMs: 200,
      intervalMs: 50,
      cutReport: (by) => tracker.cut(by),
    })
    expect(r).toMatchObject({outcome: 'deadline', cut: true, attempts: 1})
    const cut = r.report as Report
    expect(cut.checks.map((c) => [c.id, c.status])).toEqual([
      ['tcp', 'pass'],
      ['auth', 'skip'],
    ])
    expect(cut.checks[1]).toMatchObject({code: null, evidence: {cutBy: 'deadline'}})
    expect(cut.checks[1]!.summary).toMatch(/^Not finished: the deadline passed \d+ ms into the auth check/)
    expect(cut.summary).toMatchObject({pass: 1, skip: 1, verdict: 'failing'})
    expect(cut.tool).toBe('db-doctor@test')
    // nothing started yet: no report
    expect(attemptTracker('t').cut('deadline')).toBeUndefined()
  })

  it('an abort (SIGTERM) ends it at once with the last state', async () => {
    const controller = new AbortController()
    const p = waitUntilHealthy({
      attempt: async () => report('fail', 'TCP_REFUSED'),
      deadlineMs: 60_000,
      intervalMs: 10_000,
      signal: controller.signal,
      onAttempt: () => setTimeout(() => controller.abort(), 20),
    })
    const r = await p
    expect(r).toMatchObject({outcome: 'interrupted', attempts: 1, blocking: {code: 'TCP_REFUSED'}})
    expect(r.elapsedMs).toBeLessThan(10_000)
  })
})

describe('readiness poll', () => {
  it('starts the next attempt as soon as the poll says ready, however long the backoff has grown', async () => {
    // Without the poll, 8 failures back off 50 + 100 + … + 6400 ms ≈ 12.7 s.
    const script = [...Array.from({length: 8}, () => report('fail', 'TCP_REFUSED')), report('pass')]
    const started = performance.now()
    let polls = 0
    const r = await waitUntilHealthy({
      attempt: async () => script.shift()!,
      deadlineMs: 60_000,
      intervalMs: 50,
      maxIntervalMs: 30_000,
      random: () => 0,
      readiness: () => async () => (polls++, true),
    })
    expect(r).toMatchObject({outcome: 'healthy', attempts: 9})
    expect(polls).toBeGreaterThan(0)
    expect(performance.now() - started).toBeLessThan(8000) // generous: ≈ 9 × 50 ms
  })

  it('a poll that says "not yet" leaves the backoff as it is', async () => {
    const script = [report('fail', 'TCP_REFUSED'), report('fail', 'TCP_REFUSED'), report('pass')]
    const seen: number[] = []
    const r = await waitUntilHealthy({
      attempt: async () => script.shift()!,
      deadlineMs: 60_000,
      intervalMs: 100,
      random: () => 0,
      readiness: () => async () => false,
      onAttempt: (a) => a.nextInMs !== undefined && seen.push(a.nextInMs),
    })
    expect(r.outcome).toBe('healthy')
    expect(seen).toEqual([100, 200])
  })
})
