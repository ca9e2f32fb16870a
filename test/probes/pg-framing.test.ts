// The framing guard alone (pure logic over an EventEmitter): valid message streams pass byte for
// byte however the socket splits them; a header over its type's limit trips at once, wherever it
// falls. The CLI against hostile peers is test/cli/hostile-protocol.test.ts.
import {EventEmitter} from 'node:events'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  guardFrames,
  MESSAGE_LIMITS,
  ProtocolLimitError,
  STEP_BYTE_BUDGET,
  STEP_NOTICE_LIMIT,
} from '../../src/probes/pg-framing.js'
import {normalizePgError} from '../../src/probes/pg-session.js'
import {sessionErrorText} from '../../src/catalogue/session.js'
import {runnerWords} from '../../src/catalogue/runner.js'

function message(type: string, bodyLength: number): Buffer {
  const b = Buffer.alloc(5 + bodyLength, 0x61)
  b.write(type, 0, 'latin1')
  b.writeUInt32BE(4 + bodyLength, 1)
  return b
}

function feed(bytes: Buffer, cuts: number[]) {
  const source = new EventEmitter()
  const budget = {used: 0, limit: STEP_BYTE_BUDGET, notices: 0, noticeLimit: STEP_NOTICE_LIMIT}
  const errors: ProtocolLimitError[] = []
  const guard = guardFrames(source, budget, (e) => errors.push(e))
  const passed: Buffer[] = []
  guard.stream.on('data', (c: Buffer) => passed.push(c))
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  let last = 0
  for (const p of [...points, bytes.length]) {
    if (p > last) source.emit('data', bytes.subarray(last, p))
    last = p
  }
  return {passed: Buffer.concat(passed), errors, tripped: guard.tripped}
}

const validMessage = fc
  .constantFrom('E', 'N', 'S', 'R', 'K', 'Z', 'C', 'T', 'D', '1', '2', 'n', 'I')
  .chain((t) => fc.integer({min: 0, max: Math.min(MESSAGE_LIMITS[t] - 4, 300)}).map((n) => message(t, n)))

describe('a ProtocolLimitError is data, worded by the catalogue where it is shown', () => {
  it('quotes each limit as db-doctor always did, thrown, normalized or as a crash', () => {
    const cases: [ProtocolLimitError, string][] = [
      [new ProtocolLimitError('deadline', '', 5000, 5000), 'protocol limit: no complete answer within 5000 ms'],
      [
        new ProtocolLimitError('byte-budget', '', STEP_BYTE_BUDGET + 1, STEP_BYTE_BUDGET),
        `protocol limit: more than ${STEP_BYTE_BUDGET} bytes received in one step`,
      ],
      [
        new ProtocolLimitError('notice-count', 'N', 1001, STEP_NOTICE_LIMIT),
        `protocol limit: more than ${STEP_NOTICE_LIMIT} notices received in one step`,
      ],
      [
        new ProtocolLimitError('message-too-long', 'E', 2147483632, 16384),
        'protocol limit: ErrorResponse ("E") declares 2147483632 bytes (limit 16384)',
      ],
      [
        new ProtocolLimitError('bad-length', 'D', 2, 4),
        'protocol limit: DataRow ("D") declares 2 bytes (limit at least 4)',
      ],
      [
        new ProtocolLimitError('message-too-long', 'x', 70000, 65536),
        'protocol limit: message ("x") declares 70000 bytes (limit 65536)',
      ],
    ]
    for (const [error, text] of cases) {
      expect(sessionErrorText(error)).toBe(text)
      expect(sessionErrorText(normalizePgError(error, 'query'))).toBe(text)
      expect(runnerWords.crashed({check: 'server', error: error.name, thrown: error}).summary).toBe(
        `The server check crashed: ${text}`,
      )
    }
  })
})

describe('guardFrames', () => {
  it('passes any stream of messages within limits, however it is split', () => {
    fc.assert(
      fc.property(fc.array(validMessage, {maxLength: 30}), fc.array(fc.nat(), {maxLength: 20}), (msgs, cuts) => {
        const bytes = Buffer.concat(msgs)
        const r = feed(bytes, cuts)
        expect(r.errors).toEqual([])
        expect(r.passed.equals(bytes)).toBe(true)
      }),
    )
  })

  it('trips on the first header over its limit, before forwarding the chunk that holds it', () => {
    fc.assert(
      fc.property(
        fc.array(validMessage, {maxLength: 10}),
        fc.constantFrom(['E', 0x7ffffff0], ['S', 9000], ['D', 2_000_000], ['Z', 6], ['x', 70_000], ['E', 2]),
        fc.array(fc.nat(), {maxLength: 10}),
        (before, [type, length], cuts) => {
          const head = Buffer.alloc(5)
          head.write(type as string, 0, 'latin1')
          head.writeUInt32BE(length as number, 1)
          const prefix = Buffer.concat(before)
          const r = feed(Buffer.concat([prefix, head, Buffer.alloc(100, 0x41)]), cuts)
          expect(r.errors).toHaveLength(1)
          expect(r.errors[0].kind).toBe((length as number) < 4 ? 'bad-length' : 'message-too-long')
          expect(r.errors[0].messageType).toBe(type)
          expect(r.passed.length).toBeLessThanOrEqual(prefix.length + 4)
        },
      ),
    )
  })

  it('counts notices and bytes per step', () => {
    const notices = Buffer.concat(Array.from({length: STEP_NOTICE_LIMIT + 1}, () => message('N', 20)))
    expect(feed(notices, []).errors.map((e) => e.kind)).toEqual(['notice-count'])
    const rows = Buffer.concat(Array.from({length: 17}, () => message('D', 1024 * 1024 - 4)))
    expect(feed(rows, [1024 * 1024 * 3]).errors.map((e) => e.kind)).toEqual(['byte-budget'])
  })
})
