import {describe, expect, it} from 'vitest'
import {summarize} from '../../src/core/runner.js'
import {runChecks} from '../helpers/run-checks.js'
import type {Check, CheckContext} from '../../src/checks/types.js'

const ctx = {
  config: {fields: {}, primary: null, shadowed: [], problems: [], notFound: false},
  env: {},
  cwd: '/',
  options: {timeoutMs: 1000, verbose: false, dnsServers: []},
  facts: {},
} as Omit<CheckContext, 'results'>

const check = (id: string, run: Check['run'], requires: string[] = []): Check => ({
  id,
  title: id.toUpperCase(),
  requires,
  run,
})
const pass: Check['run'] = async () => ({status: 'pass', code: null, summary: 'ok', evidence: {}, fix: null})
const fail: Check['run'] = async () => ({
  status: 'fail',
  code: 'X_FAILED',
  summary: 'bad',
  evidence: {},
  fix: {summary: 'fix it', steps: []},
})

describe('runChecks', () => {
  it('runs in registry order and times every check', async () => {
    const order: string[] = []
    const mk = (id: string) => check(id, async (c) => (order.push(id), pass(c)))
    const results = await runChecks([mk('a'), mk('b'), mk('c')], ctx)
    expect(order).toEqual(['a', 'b', 'c'])
    expect(results.map((r) => r.id)).toEqual(['a', 'b', 'c'])
    for (const r of results) expect(r.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('turns an exception into a failed result, never a crash', async () => {
    const [r] = await runChecks(
      [
        check('boom', async () => {
          throw new Error('kaput')
        }),
      ],
      ctx,
    )
    expect(r).toMatchObject({id: 'boom', status: 'fail', code: 'INTERNAL_ERROR'})
    expect(r.summary).toContain('kaput')
    expect(r.fix?.steps.join(' ')).toContain('--skip boom')
  })

  it('skips a check whose prerequisite failed, transitively, and says why', async () => {
    const results = await runChecks(
      [check('a', fail), check('b', pass, ['a']), check('c', pass, ['b']), check('d', pass)],
      ctx,
    )
    expect(results.map((r) => r.status)).toEqual(['fail', 'skip', 'skip', 'pass'])
    expect(results[1].summary).toBe('Skipped: the a check failed (X_FAILED).')
    expect(results[2].summary).toBe('Skipped: the a check failed (X_FAILED).')
  })

  it('honours --only and --skip', async () => {
    const list = [check('a', pass), check('b', pass), check('c', pass)]
    expect((await runChecks(list, ctx, {only: ['b']})).map((r) => r.id)).toEqual(['b'])
    expect((await runChecks(list, ctx, {skip: ['b']})).map((r) => r.id)).toEqual(['a', 'c'])
  })

  it('gives later checks the results of earlier ones', async () => {
    let seen: string | undefined
    await runChecks(
      [
        check('a', fail),
        // a result read is declared, like a fact (strict facts: an undeclared read fails the check)
        {...check('b', async (c) => ((seen = c.results.get('a')?.code ?? undefined), pass(c))), usesResults: ['a']},
      ],
      ctx,
    )
    expect(seen).toBe('X_FAILED')
  })

  it('a warn or fail without code or fix is completed, so the contract holds', async () => {
    const [r] = await runChecks(
      [check('w', async () => ({status: 'warn', code: null, summary: 's', evidence: {}, fix: null}))],
      ctx,
    )
    expect(r.code).toBe('INTERNAL_ERROR')
    expect(r.fix).not.toBeNull()
  })
})

describe('summarize', () => {
  const r = (status: any) => ({
    id: 'x',
    title: 'x',
    status,
    code: null,
    summary: '',
    evidence: {},
    fix: null,
    durationMs: 0,
  })
  it('derives the verdict', () => {
    expect(summarize([r('pass'), r('skip')]).verdict).toBe('healthy')
    expect(summarize([r('pass'), r('warn')]).verdict).toBe('degraded')
    expect(summarize([r('pass'), r('warn')], true).verdict).toBe('failing')
    expect(summarize([r('fail'), r('warn')])).toEqual({pass: 0, warn: 1, fail: 1, skip: 0, verdict: 'failing'})
  })
})

describe('the runner-owned session', () => {
  const fakeSession = () => {
    const calls: string[] = []
    const session = {
      readOnly: async () => undefined as never,
      batch: async () => [],
      close: async () => void calls.push('close'),
    }
    return {calls, session}
  }

  /** A broker's opener whose login succeeded, with this session. */
  const openedWith =
    <S>(session: S) =>
    async () => ({
      ok: true as const,
      session,
      serverVersion: 'x',
      user: 'u',
      serverAddr: null,
      tls: null,
      rttMs: 0,
      readOnly: true,
      connectMs: 0,
      backendPid: null,
      serverPort: null,
    })

  it('opens it once for every check that asks, and closes it at the end even when a check throws', async () => {
    const {createSessionBroker} = await import('../../src/probes/session.js')
    const {calls, session} = fakeSession()
    let opened = 0
    const broker = createSessionBroker(async () => {
      opened++
      return openedWith(session)()
    })
    const user = (id: string): Check => ({
      ...check(id, async (c) => (await c.session!.open(), pass(c))),
      usesSession: true,
    })
    const results = await runChecks(
      [
        user('a'),
        user('b'),
        check('boom', async () => {
          throw new Error('kaput')
        }),
      ],
      {...ctx, session: broker},
    )
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'fail'])
    expect(opened).toBe(1)
    expect(calls).toEqual(['close'])
  })

  it('never opens a session when no check asks for one', async () => {
    const {createSessionBroker} = await import('../../src/probes/session.js')
    let opened = 0
    const broker = createSessionBroker(async () => {
      opened++
      throw new Error('not expected')
    })
    await runChecks([check('a', pass)], {...ctx, session: broker})
    expect(opened).toBe(0)
    expect(broker.attempted).toBe(false)
  })

  // Pure logic of the planned batch (the real round trips are counted against a real server in
  // test/checks/round-trips.test.ts): the statements travel together, sliced back per check.
  const batching = (fails: (statements: string[]) => boolean) => {
    const batches: string[][] = []
    const session = {
      readOnly: async () => undefined as never,
      batch: async (statements: string[]) => {
        batches.push(statements)
        if (fails(statements)) throw new Error('boom')
        return statements.map((s) => [{s}])
      },
      close: async () => undefined,
    }
    return {batches, session}
  }
  const querying = (id: string, statements: string[], seen: Record<string, unknown>): Check => ({
    id,
    title: id,
    requires: [],
    usesSession: true,
    queries: () => statements,
    run: async (c) => {
      await c.session!.open()
      try {
        seen[id] = await c.session!.shared(id, statements)
      } catch (error) {
        seen[id] = (error as Error).message
      }
      return pass(c)
    },
  })

  it("sends every planned check's statements in one batch and hands each check its own rows", async () => {
    const {createSessionBroker} = await import('../../src/probes/session.js')
    const {batches, session} = batching(() => false)
    const broker = createSessionBroker(openedWith(session))
    const seen: Record<string, unknown> = {}
    await runChecks([querying('a', ['a1', 'a2'], seen), check('plain', pass), querying('b', ['b1'], seen)], {
      ...ctx,
      session: broker,
    })
    expect(batches).toEqual([['a1', 'a2', 'b1']])
    expect(seen).toEqual({a: [[{s: 'a1'}], [{s: 'a2'}]], b: [[{s: 'b1'}]]})
  })

  it('when the batch fails, each check sends its own statements, so only the failing one sees the error', async () => {
    const {createSessionBroker} = await import('../../src/probes/session.js')
    const {batches, session} = batching((st) => st.includes('bad'))
    const broker = createSessionBroker(openedWith(session))
    const seen: Record<string, unknown> = {}
    await runChecks([querying('a', ['a1'], seen), querying('b', ['bad'], seen), querying('c', ['c1'], seen)], {
      ...ctx,
      session: broker,
    })
    expect(batches).toEqual([['a1', 'bad', 'c1'], ['a1'], ['bad'], ['c1']])
    expect(seen).toEqual({a: [[{s: 'a1'}]], b: 'boom', c: [[{s: 'c1'}]]})
  })

  it("a batch that times out is every planned check's answer (no second wait per check)", async () => {
    const {createSessionBroker} = await import('../../src/probes/session.js')
    const batches: string[][] = []
    const session = {
      readOnly: async () => undefined as never,
      batch: async (statements: string[]) => {
        batches.push(statements)
        throw Object.assign(new Error('canceling statement due to statement timeout'), {code: '57014'})
      },
      close: async () => undefined,
    }
    const broker = createSessionBroker(openedWith(session))
    const seen: Record<string, unknown> = {}
    await runChecks([querying('a', ['a1'], seen), querying('b', ['b1'], seen)], {...ctx, session: broker})
    expect(batches).toEqual([['a1', 'b1']])
    expect(seen).toEqual({
      a: 'canceling statement due to statement timeout',
      b: 'canceling statement due to statement timeout',
    })
  })

  it('plans only the checks that will run (--only / --skip), and statements that differ from the plan go alone', async () => {
    const {createSessionBroker} = await import('../../src/probes/session.js')
    const {batches, session} = batching(() => false)
    const broker = createSessionBroker(openedWith(session))
    const seen: Record<string, unknown> = {}
    const drifting: Check = {
      ...querying('d', ['d1'], seen),
      run: async (c) => (await c.session!.open(), (seen.d = await c.session!.shared('d', ['d2'])), pass(c)),
    }
    await runChecks(
      [querying('a', ['a1'], seen), querying('b', ['b1'], seen), drifting],
      {...ctx, session: broker},
      {skip: ['b']},
    )
    expect(batches).toEqual([['a1', 'd1'], ['d2']])
  })
})
