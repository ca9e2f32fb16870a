// Loads dist/bundle/check.cjs (`db-doctor check` in one CommonJS file, built by scripts/bundle.mjs) with V8's
// code cache, dist/bundle/check.cache, which the build makes with this module. Node 20 keeps no code cache
// for the files it loads itself, and compiling this one was about a fifth of a healthy check's CPU time.
// Without the cache, or when V8 rejects it (another Node version, other V8 flags), the file is compiled as
// usual: the cache changes how long loading takes, never what runs. V8 checks the source only by its length
// (it runs the cached code for any source as long), so the cache starts with the SHA-256 of the check.cjs it
// was made from, and is used only for that very file: an edit of check.cjs after the build (a patched line)
// runs as edited.
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import Module, {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'

const file = fileURLToPath(new URL('../dist/bundle/check.cjs', import.meta.url))
const cacheFile = file.replace(/\.cjs$/, '.cache')

/** check.cjs compiled as Node compiles a CommonJS file (its wrapper), with the cache when given. */
function compile(source, cachedData) {
  return new vm.Script(Module.wrap(source), {filename: file, cachedData})
}

/** The digest check.cache starts with: the source it was made from. */
const digestOf = (source) => createHash('sha256').update(source).digest()
const DIGEST_BYTES = 32

/** Run the compiled file as a CommonJS module; its exports. */
function run(script) {
  const module = {exports: {}}
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file))
  return module.exports
}

/** check.cjs's exports (main). */
export function loadCheck() {
  const source = fs.readFileSync(file, 'utf8')
  let cachedData
  try {
    const cache = fs.readFileSync(cacheFile)
    if (cache.length > DIGEST_BYTES && cache.subarray(0, DIGEST_BYTES).equals(digestOf(source)))
      cachedData = cache.subarray(DIGEST_BYTES)
  } catch {}
  const script = compile(source, cachedData)
  return Object.assign(run(script), {codeCacheRejected: cachedData === undefined || script.cachedDataRejected === true})
}

/**
 * Write check.cache (scripts/bundle.mjs, at build time, in a child process of its own): check.cjs compiled with
 * every function compiled at once (V8's --no-lazy, for this compile only), so that a run compiles none of its
 * own code. The flag is set back before the cache is made: its header carries the flags it was made under, and
 * a run (without --no-lazy) would reject it otherwise.
 */
export function makeCheckCodeCache() {
  const source = fs.readFileSync(file, 'utf8')
  v8.setFlagsFromString('--no-lazy')
  let script
  try {
    script = compile(source, undefined)
  } finally {
    v8.setFlagsFromString('--lazy')
  }
  fs.writeFileSync(cacheFile, Buffer.concat([digestOf(source), script.createCachedData()]))
}
