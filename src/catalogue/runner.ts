// Codes the runner emits for any check, and the runner's words (src/core/runner.ts holds none: the
// app passes `runnerWords` in).
import type {RunnerWords} from '../core/types.js'
import {sessionErrorText} from './session.js'
import {fileErrorText} from './files.js'
import {define, messages} from './types.js'

const INTERNAL_ERROR = define<{check: string; message: string}>({
  code: 'INTERNAL_ERROR',
  check: 'runner',
  status: 'fail',
  title: 'db-doctor crashed in a check',
  meaning: 'db-doctor itself crashed in a check (a bug: please report it); the other checks still run.',
  causes: ['a bug in db-doctor'],
  fix: 'Report it with the `--json` output (passwords are masked); run with `--skip <check>` meanwhile.',
  summary: (p) => `The ${p.check} check crashed: ${p.message}`,
  buildFix: (p) => ({
    summary: 'This is a db-doctor bug, not a problem with your database.',
    steps: [`Re-run with --skip ${p.check} to get the other checks, and report the issue with this report attached.`],
  }),
  transient: false,
  confirm: [],
  matchers: [],
  examples: [{source: 'db-doctor', text: '✗ TCP connection INTERNAL_ERROR (3 ms)'}],
})

export const runnerEntries = [INTERNAL_ERROR]

/** What the runner says: a check that crashed, the fix of an outcome without one, a skipped check. */
export const runnerWords: RunnerWords = {
  crashed: (p) => {
    // the crash's message, or the limit a peer broke when it was db-doctor that ended a session; a file the
    // guarded opener refused carries its reason as data (src/core/files.ts)
    const message = fileErrorText(p.thrown) ?? sessionErrorText(p.thrown)
    return INTERNAL_ERROR.emit({check: p.check, message}, {error: p.error, message})
  },
  internalFix: (check) => INTERNAL_ERROR.fix({check, message: ''}),
  skipped: (p) => `Skipped: the ${p.blocker} check failed${p.code ? ` (${p.code})` : ''}.`,
  cut: (p) =>
    `Not finished: ${p.by === 'deadline' ? 'the deadline passed' : p.signal ? `db-doctor received ${p.signal}` : 'the wait was interrupted'} ${p.afterMs} ms into the ${p.check} check; the checks after it did not run.`,
}

/** `db-doctor check` stopped by SIGTERM / SIGINT (cli/doctor.ts): its one line on stderr. */
export const interruptedSays = messages({
  check: (p: {signal: string; checks: number | null}) =>
    p.checks === null
      ? `db-doctor check: stopped by ${p.signal}; no report (the targets were still being checked); exit 1`
      : `db-doctor check: stopped by ${p.signal}; the report has the ${p.checks} ${p.checks === 1 ? 'check' : 'checks'} that ended or was running, and is failing; exit 1`,
})
