// Codes the runner emits for any check.
import {define} from './types.js'

export const runnerEntries = [
  define({
    code: 'INTERNAL_ERROR',
    check: 'runner',
    status: 'fail',
    title: 'db-doctor crashed in a check',
    meaning: 'db-doctor itself crashed in a check (a bug: please report it); the other checks still run.',
    causes: ['a bug in db-doctor'],
    fix: 'Report it with the `--json` output (passwords are masked); run with `--skip <check>` meanwhile.',
    transient: false,
    confirm: [],
    matchers: [],
    examples: [{source: 'db-doctor', text: '✗ TCP connection INTERNAL_ERROR (3 ms)'}],
  }),
]
