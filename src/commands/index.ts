// Every command of the CLI, by id: package.json "oclif.commands" points here (explicit
// discovery). A separate bundle entry (scripts/bundle.mjs), so that `--version` never loads
// it, and each command loads its heavy parts (checks, pg, reporters, explain) only in run().
import Check from './check.js'
import Demo from './demo.js'
import Explain from './explain.js'
import Serve from './serve.js'
import Wait from './wait.js'

export const COMMANDS = {check: Check, demo: Demo, explain: Explain, serve: Serve, wait: Wait}
