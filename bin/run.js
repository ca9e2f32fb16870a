#!/usr/bin/env -S node --
// "node --": Node 20 itself acts on a stray `--env-file` anywhere in argv (it loads the
// file, or exits 9 when it is missing); "--" keeps our own --env-file flag ours.
// Entry point of the `db-doctor` binary. Output redaction is installed before
// anything else can print, so no password reaches stdout or stderr.
import {installOutputRedaction} from '../dist/core/redact.js'

installOutputRedaction()
const {execute} = await import('@oclif/core/execute')
await execute({dir: import.meta.url})
// A DNS lookup that outlived its budget (a silent nameserver) would keep Node alive
// for attempts × timeout per nameserver after the report is out: don't wait for it.
const {pendingSystemLookups} = await import('../dist/probes/dns.js')
if (pendingSystemLookups() > 0) process.stdout.write('', () => process.exit())
