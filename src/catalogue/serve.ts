// The words of `db-doctor serve` (src/app/serve/, src/commands/serve.ts): its usage errors, its plain-text answers
// and its log lines.
import {messages} from './types.js'

export const serveSays = messages({
  listenSyntax: (p: {value: string}) => `--listen expects HOST:PORT, [V6]:PORT or :PORT (got "${p.value}")`,
  needsTargets: () => 'serve needs targets: --targets FILE and/or --all-envs',
  cannotListen: (p: {listen: string; code: string}) => `cannot listen on ${p.listen}: ${p.code}`,
  targetWithoutName: (p: {file: string; n: number}) =>
    `${p.file}: target ${p.n} has no name: serve takes JSON lines {"name","connection"}`,
  duplicateTargetName: (p: {name: string}) => `two targets are named "${p.name}": names must be unique`,
  listening: (p: {url: string; targets: number}) => `db-doctor serve: listening on ${p.url} (${p.targets} targets)`,
  busy: () => 'too many probes running: raise --concurrency or lower the scrape rate\n',
  cancelled: () => 'db-doctor serve is shutting down: the probe was cancelled\n',
  stopping: (p: {signal: string; running: number; graceMs: number}) =>
    `db-doctor serve: ${p.signal}, finishing ${p.running} running probes (at most ${p.graceMs} ms)`,
  cancelledAtGrace: (p: {n: number}) =>
    `db-doctor serve: ${p.n} ${p.n === 1 ? 'probe' : 'probes'} cancelled at the end of the grace period`,
  shutdownFailed: (p: {message: string}) => `db-doctor serve: shutdown: ${p.message}`,
  /** The answers of the HTTP server (text/plain, one line). */
  unknownTarget: () => 'unknown target\n',
  oneTarget: () => 'one ?target=NAME\n',
  methodNotAllowed: () => 'method not allowed\n',
  healthy: () => 'OK\n',
  shuttingDown: () => 'shutting down\n',
  unauthorized: () => 'unauthorized\n',
  index: () => 'db-doctor serve: /probe?target=NAME, /metrics, /-/healthy (docs/prometheus.md)\n',
  notFound: () => 'not found\n',
  internalError: () => 'internal error\n',
  internalErrorLog: (p: {message: string}) => `serve: internal error: ${p.message}`,
})
