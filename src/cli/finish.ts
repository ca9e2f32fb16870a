// What the process does once a command's output is written (cli.ts and cli/check-main.ts, after the command).
import {pendingSystemLookups} from '../probes/dns.js'
import {isExitRequested} from './exit.js'

/**
 * A DNS lookup that outlived its budget (a silent nameserver) would keep Node alive for attempts ×
 * timeout per nameserver after the report is out: exit once stdout and stderr are flushed, without
 * waiting for it. `wait` asks for the same when an attempt was cut short by its deadline or a signal.
 */
export function exitWhenAbandoned(): void {
  if (pendingSystemLookups() > 0 || isExitRequested())
    process.stdout.write('', () => process.stderr.write('', () => process.exit()))
}
