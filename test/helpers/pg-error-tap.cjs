// Test-only preload (NODE_OPTIONS=--require …) for CLIs that swallow their driver's error: drizzle-kit
// 0.31 catches the migrator's rejection and prints only its spinner. This taps the app's own `pg`
// (resolved from the working folder, as the CLI resolves it under --preserve-symlinks) and writes the
// first error of a Pool query or connect to stderr as "[pg error] <message>", so a differential test
// can compare db-doctor's cause with the real one. pg's messages never hold the password.
'use strict'
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload */
let pg
try {
  pg = require(require.resolve('pg', {paths: [process.cwd()]}))
} catch {
  pg = undefined // no pg in the app: nothing to tap
}
let told = false
const tell = (error) => {
  if (told) return
  told = true
  process.stderr.write(`[pg error] ${String((error && error.message) || error).split('\n')[0]}\n`)
}
for (const name of pg ? ['query', 'connect'] : []) {
  const original = pg.Pool.prototype[name]
  pg.Pool.prototype[name] = function (...args) {
    const cb = typeof args.at(-1) === 'function' ? args.at(-1) : undefined
    if (cb) {
      args[args.length - 1] = function (error, ...rest) {
        if (error) tell(error)
        return cb.call(this, error, ...rest)
      }
      return original.apply(this, args)
    }
    const result = original.apply(this, args)
    if (result && typeof result.then === 'function') result.then(undefined, tell)
    return result
  }
}
