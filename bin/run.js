#!/usr/bin/env -S node --
// "node --": Node 20 itself acts on a stray `--env-file` anywhere in argv (it loads the
// file, or exits 9 when it is missing); "--" keeps our own --env-file flag ours.
// Entry point of the `db-doctor` binary: the runtime is one bundle (src/cli.ts, built by
// scripts/bundle.mjs); main() installs output redaction before anything can print.
const {main} = await import('../dist/bundle/cli.js')
await main(import.meta.url)
