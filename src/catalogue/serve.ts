// The words of `db-doctor serve` (src/app/serve/, src/commands/serve.ts): its usage errors (the --web-config
// file's included: app/serve/web-config.ts WebConfigError), its plain-text answers and its log lines.
import type {FileReason} from '../core/files.js'
import {fileReasonText} from './files.js'
import {messages} from './types.js'

/** Why a file cannot be read: the guarded opener's reason, else the error's code. */
const reasonText = (r: FileReason | string): string => (typeof r === 'string' ? r : fileReasonText(r))

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
  /** --web-config (app/serve/web-config.ts): the file, then what is wrong in it. */
  webConfigUnreadable: (p: {file: string; reason: FileReason | string}) =>
    `cannot read the web config ${p.file}: ${reasonText(p.reason)}`,
  webConfigNotYaml: (p: {file: string}) => `${p.file} is not valid YAML`,
  webConfigNotMapping: (p: {file: string}) => `${p.file}: expected a mapping at the top`,
  webConfigUnknownKey: (p: {file: string; key: string}) => `${p.file}: unknown key "${p.key}"`,
  webConfigTlsNotMapping: (p: {file: string}) => `${p.file}: tls_server_config must be a mapping`,
  webConfigTlsNeedsFiles: (p: {file: string}) => `${p.file}: tls_server_config needs cert_file and key_file`,
  webConfigTlsFileUnreadable: (p: {file: string; setting: string; path: string; reason: FileReason | string}) =>
    `${p.file}: cannot read the ${p.setting} ${p.path}: ${reasonText(p.reason)}`,
  webConfigUsersNotMapping: (p: {file: string}) => `${p.file}: basic_auth_users must be a mapping user: hash`,
  webConfigUserHash: (p: {file: string; user: string}) =>
    `${p.file}: basic_auth_users.${p.user} must be a bcrypt hash ($2y$…) or sha256:<64 hex digits>, never a password`,
  webConfigTokensNotList: (p: {file: string}) => `${p.file}: bearer_tokens must be a list of sha256:<hex>`,
  webConfigTokenHash: (p: {file: string}) =>
    `${p.file}: bearer_tokens takes sha256:<64 hex digits> hashes, never a token`,
})
