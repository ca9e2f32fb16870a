// Issue 17 item 3, explain's half: the secrets the masks missed in pasted text (the tail of a long
// JWT after `password=`, an RDS IAM token's X-Amz-Signature, DB_PASS=, pwd=, `password => "…"`,
// passwords holding `,` or `\"`) — drawn from the same generators and forms as the report's
// properties (test/helpers/secret-generators.ts), through explain's own path: explainText (the
// excerpt window, which can cut through a secret) and its three renderers. A unique canary leaves no
// piece of 4+ characters in any excerpt or rendering, whether the secret is after the recognised
// error (its tail cut by the window), before it (its head cut), or on another line of the log.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {explainText} from '../../src/explain/index.js'
import {renderExplainJson, renderExplainMarkdown, renderExplainText} from '../../src/explain/render.js'
import {FORMS, canaryPassword, jwt, leakedPieces, sigV4Token} from '../helpers/secret-generators.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261207)
const RUNS = Number(process.env.FUZZ_RUNS ?? 40)

const ERROR = 'FATAL:  password authentication failed for user "app"'

/** Where the secret stands relative to the recognised error line. */
const PLACES: Record<string, (form: string) => string> = {
  'after the error (tail cut by the window)': (f) => `2026-12-07T05:00:00Z migrate ${ERROR} ${f} (retrying)`,
  'before the error (head cut by the window)': (f) => `${f} ${ERROR}`,
  'on another line': (f) => `starting with ${f}\n${ERROR}`,
}

function renderAll(pasted: string): {excerpts: string; text: string; json: string; markdown: string} {
  const r = explainText(pasted, 'db-doctor@test')
  expect(r.matches.map((m) => m.code)).toContain('AUTH_PASSWORD_FAILED')
  return {
    excerpts: r.matches.map((m) => m.excerpt).join('\n'),
    text: renderExplainText(r, {width: 100}),
    json: renderExplainJson(r),
    markdown: renderExplainMarkdown(r),
  }
}

describe('explain: a unique canary in every form leaves no piece in any excerpt or rendering', () => {
  it.each(Object.keys(PLACES))('%s', (place) => {
    for (const form of FORMS) {
      const raw = /raw|Authorization/.test(form.name)
      const benign = renderAll(PLACES[place](form.text('benign')))
      fc.assert(
        fc.property(canaryPassword, (pw) => {
          // a raw form cannot carry whitespace or a closing quote unambiguously (no parser could tell either)
          fc.pre(!raw || !/[\s"'`]/.test(pw))
          const out = renderAll(PLACES[place](form.text(pw)))
          for (const [k, v] of Object.entries(out)) {
            const b = (benign as Record<string, string>)[k]
            expect(leakedPieces(pw, v, b), `${form.name}, ${k}: ${out.excerpts.slice(0, 400)}`).toEqual([])
          }
        }),
        {seed: SEED, numRuns: RUNS},
      )
    }
  })

  it('the exact cases of issue 17: a long JWT after password=, X-Amz-Signature, DB_PASS=, pwd=, =>, `,` and `\\"`', () => {
    fc.assert(
      fc.property(jwt, sigV4Token, (token, iam) => {
        const cases = [
          [`${ERROR} password=${token}`, token],
          [`${ERROR} PGPASSWORD=${iam}`, iam],
          [`${ERROR} DB_PASS=Sekr1t,Pw9 npm run migrate`, 'Sekr1t,Pw9'],
          [`${ERROR} Server=db;Uid=app;pwd=Sekr1t,Pw9;`, 'Sekr1t,Pw9'],
          [`${ERROR} { password => "Sek\\"r1t,Pw9" }`, 'Sek\\"r1t,Pw9'],
          [`${ERROR} {"password":"Sek\\"r1t,Pw9","port":5432}`, 'Sek\\"r1t,Pw9'],
        ] as const
        for (const [pasted, secret] of cases) {
          const out = renderAll(pasted)
          for (const [k, v] of Object.entries(out)) expect(leakedPieces(secret, v), `${k}: ${pasted}`).toEqual([])
        }
        // the signature itself, alone after its parameter name (a presigned URL pasted without PGPASSWORD)
        const sig = /X-Amz-Signature=([0-9a-f]+)/.exec(iam)![1]
        expect(leakedPieces(sig, renderAll(`${ERROR} https://${iam}`).excerpts)).toEqual([])
      }),
      {seed: SEED, numRuns: 15},
    )
  })
})
