// Test workers only: tests that play the app's own node-postgres (a Client with `sslmode=require`, on
// purpose: that is the behaviour db-doctor models) make pg 8 emit its SECURITY WARNING about sslmode
// aliases once per worker. It is expected there and says nothing about db-doctor, so it is dropped from
// the test output; every other warning passes through. db-doctor's own runs (child processes) are not
// affected: their output is asserted by the tests (pg's warning never reaches a user's report).
const original = process.emitWarning.bind(process) as (...args: unknown[]) => void
process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning instanceof Error ? warning.message : ''
  if (text.startsWith('SECURITY WARNING: The SSL modes')) return
  original(warning, ...rest)
}) as typeof process.emitWarning
