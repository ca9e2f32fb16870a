#!/usr/bin/env node
// Entry point of the `db-doctor` binary. Output redaction is installed before
// anything else can print, so no password reaches stdout or stderr.
import {installOutputRedaction} from '../dist/core/redact.js'

installOutputRedaction()
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
