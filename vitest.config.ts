import {defineConfig} from 'vitest/config'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

/**
 * Files that keep one worker busy for 20 s to 90 s (per-file times of a fresh-clone CI run). Started first, they
 * overlap the many short files instead of being picked up late and ending the run alone (a fresh clone has no
 * vitest cache of durations, so vitest would order by file size, which put test/docs/action.test.ts, the longest,
 * at 90 s into a 190 s run). The rest keeps vitest's order.
 */
const LONG_FIRST = [
  'test/docs/action.test.ts',
  'test/commands/masking-structure.test.ts',
  'test/differential/tls.test.ts',
  'test/differential/env.test.ts',
  'test/commands/check.test.ts',
  'test/lab/tcp-lab.test.ts',
  'test/checks/migrations.test.ts',
  'test/core/redaction-matrix.test.ts',
]

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONG_FIRST.findIndex((p) => f.moduleId.endsWith(p))
      return i < 0 ? LONG_FIRST.length : i
    }
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b))
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/quiet-pg-warning.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The suite mostly waits (servers, CLIs, timeouts, blackholes), so it runs more files at once than
    // there are cores (vitest's default on a 2-core machine is one at a time).
    maxWorkers: 5,
    sequence: {sequencer: LongFirst},
    // every diagnosis of the suite, in-process or in a CLI it spawns, fails a check that reads or writes what it
    // does not declare (src/app/diagnose.ts; test/helpers/cli.ts keeps the variable in a clean environment)
    env: {DB_DOCTOR_STRICT_FACTS: '1'},
  },
})
