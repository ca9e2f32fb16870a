// The words of `db-doctor serve` (src/app/serve/, src/commands/serve.ts): its plain-text answers and log lines.
import {messages} from './types.js'

export const serveSays = messages({
  targetWithoutName: (p: {file: string; n: number}) =>
    `${p.file}: target ${p.n} has no name: serve takes JSON lines {"name","connection"}`,
  duplicateTargetName: (p: {name: string}) => `two targets are named "${p.name}": names must be unique`,
  busy: () => 'too many probes running: raise --concurrency or lower the scrape rate\n',
  cancelled: () => 'db-doctor serve is shutting down: the probe was cancelled\n',
  stopping: (p: {signal: string; running: number; graceMs: number}) =>
    `db-doctor serve: ${p.signal}, finishing ${p.running} running probes (at most ${p.graceMs} ms)`,
  cancelledAtGrace: (p: {n: number}) =>
    `db-doctor serve: ${p.n} ${p.n === 1 ? 'probe' : 'probes'} cancelled at the end of the grace period`,
})
