#!/usr/bin/env -S node --
// "node --": Node 20 itself acts on a stray `--env-file` anywhere in argv (it loads the
// file, or exits 9 when it is missing); "--" keeps our own --env-file flag ours.
// Entry point of the `db-doctor` binary: the runtime is one bundle (src/cli.ts, built by
// scripts/bundle.mjs), and `check` has its own (src/cli/check-main.ts); main() installs output redaction
// before anything can print.
// `db-doctor --version` alone (or -v, -V, version): oclif's own line (config.userAgent), printed
// here before any other module loads. It holds nothing but package.json's name and version.
const argv = process.argv.slice(2)
if (argv.length === 1 && ['--version', '-v', '-V', 'version'].includes(argv[0])) {
  const {readFileSync} = await import('node:fs')
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // `check`: one file (src/cli/check-main.ts in dist/bundle/check.cjs, loaded with V8's code cache by
  // load-check.js), when its fast path takes the arguments; it returns false, having done nothing, for
  // anything it leaves to oclif.
  // What the fast path never takes (cli/fast-check.ts parseCheckArgv: --help, -h, `--`, DEBUG or an oclif
  // variable in the environment) goes to cli.js at once, without loading check.cjs first. The same rule as
  // parseCheckArgv's (src/cli/fast-check.ts): change both together.
  const oclifs =
    argv.some((a) => a === '--help' || a === '-h' || a === '--') ||
    Object.keys(process.env).some(
      (k) => k === 'DEBUG' || (k.startsWith('DB_DOCTOR_') && k !== 'DB_DOCTOR_STRICT_FACTS') || k.startsWith('OCLIF_'),
    )
  const done =
    argv[0] === 'check' && !oclifs && (await (await import('./load-check.js')).loadCheck().main(import.meta.url))
  if (!done) {
    const {main} = await import('../dist/bundle/cli.js')
    await main(import.meta.url)
  }
}
