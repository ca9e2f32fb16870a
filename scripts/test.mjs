// `npm test`: runs the whole vitest suite and ends with one plain line
// "tests: N passed, N failed, N skipped" that CI logs can be read by.
import {spawn} from 'node:child_process'
import {mkdirSync, readFileSync} from 'node:fs'

mkdirSync('.tmp', {recursive: true})
const out = '.tmp/vitest-results.json'
const child = spawn(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
    ...process.argv.slice(2),
  ],
  {stdio: 'inherit'},
)
child.on('close', (code, signal) => {
  try {
    const r = JSON.parse(readFileSync(out, 'utf8'))
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`)
  } catch {
    console.log('tests: 0 passed, 1 failed (no results: vitest did not finish)')
  }
  process.exit(code ?? (signal ? 1 : 0))
})
