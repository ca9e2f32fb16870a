// --web-config FILE: who may scrape `db-doctor serve` and over what, in the file format of the
// Prometheus exporters (exporter-toolkit's web-config.yml), a subset of it plus bearer tokens:
//
//   tls_server_config:            # HTTPS instead of HTTP
//     cert_file: server.crt       # PEM, relative paths from the file's folder
//     key_file: server.key
//   basic_auth_users:             # user: hash of the password
//     prometheus: $2y$10$…        # bcrypt (htpasswd -nBC 10 "" | tr -d ':\n'), as the exporters take it
//     grafana-agent: sha256:9f86… # or sha256:<hex of the password's SHA-256>
//   bearer_tokens:                # Authorization: Bearer <token>, by hash (db-doctor's own key)
//     - sha256:2c26…
//
// With users or tokens set, every path but /-/healthy needs one of them. Hashes only: the file holds no
// secret in clear. An unknown key is an error (a misspelt key must not leave the endpoint open).
import {createHash, timingSafeEqual} from 'node:crypto'
import path from 'node:path'
import {FileReadError, readGuarded, readGuardedText, UnsafeFileError} from '../../core/files.js'
import {filesSays} from '../../catalogue/files.js'
import {serveSays} from '../../catalogue/serve.js'
import {loadYaml} from '../../core/yaml.js'

export class WebConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WebConfigError'
  }
}

export interface WebConfig {
  tls?: {cert: Buffer; key: Buffer}
  /** user → hash ("$2…" bcrypt, "sha256:<hex>") */
  users: Map<string, string>
  /** SHA-256 digests of the accepted bearer tokens. */
  tokens: Buffer[]
}

const SHA256 = /^sha256:([0-9a-f]{64})$/i
const BCRYPT = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/
const KEYS = new Set(['tls_server_config', 'basic_auth_users', 'bearer_tokens'])
const TLS_KEYS = new Set(['cert_file', 'key_file'])
const WEB_CONFIG_MAX_BYTES = 64 * 1024

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export async function readWebConfig(file: string): Promise<WebConfig> {
  const {parse} = await loadYaml()
  let text: string
  try {
    // the guarded opener: a FIFO or a device is refused without blocking, at most 64 KB
    text = readGuardedText(file, 'web config', WEB_CONFIG_MAX_BYTES)
  } catch (error) {
    if (error instanceof UnsafeFileError) throw new WebConfigError(filesSays.unsafe(error))
    const reason = error instanceof FileReadError ? error.reason : ((error as NodeJS.ErrnoException).code ?? 'error')
    throw new WebConfigError(serveSays.webConfigUnreadable({file, reason}))
  }
  let doc: unknown
  try {
    doc = parse(text) ?? {}
  } catch {
    throw new WebConfigError(serveSays.webConfigNotYaml({file}))
  }
  return parseWebConfig(doc, file, (p) => readGuarded(path.resolve(path.dirname(file), p), 'certificate'))
}

export function parseWebConfig(doc: unknown, file: string, read: (p: string) => Buffer): WebConfig {
  if (!isRecord(doc)) throw new WebConfigError(serveSays.webConfigNotMapping({file}))
  for (const k of Object.keys(doc))
    if (!KEYS.has(k)) throw new WebConfigError(serveSays.webConfigUnknownKey({file, key: k}))
  const config: WebConfig = {users: new Map(), tokens: []}
  const tlsConf = doc.tls_server_config
  if (tlsConf !== undefined && tlsConf !== null) {
    if (!isRecord(tlsConf)) throw new WebConfigError(serveSays.webConfigTlsNotMapping({file}))
    for (const k of Object.keys(tlsConf))
      if (!TLS_KEYS.has(k))
        throw new WebConfigError(serveSays.webConfigUnknownKey({file, key: `tls_server_config.${k}`}))
    const {cert_file: cert, key_file: key} = tlsConf
    if (typeof cert !== 'string' || typeof key !== 'string')
      throw new WebConfigError(serveSays.webConfigTlsNeedsFiles({file}))
    const load = (p: string, what: string) => {
      try {
        return read(p)
      } catch (error) {
        const reason =
          error instanceof FileReadError ? error.reason : ((error as NodeJS.ErrnoException).code ?? 'error')
        throw new WebConfigError(serveSays.webConfigTlsFileUnreadable({file, setting: what, path: p, reason}))
      }
    }
    config.tls = {cert: load(cert, 'cert_file'), key: load(key, 'key_file')}
  }
  const users = doc.basic_auth_users
  if (users !== undefined && users !== null) {
    if (!isRecord(users)) throw new WebConfigError(serveSays.webConfigUsersNotMapping({file}))
    for (const [user, hash] of Object.entries(users)) {
      if (typeof hash !== 'string' || !(SHA256.test(hash) || BCRYPT.test(hash)))
        throw new WebConfigError(serveSays.webConfigUserHash({file, user}))
      config.users.set(user, hash)
    }
  }
  const tokens = doc.bearer_tokens
  if (tokens !== undefined && tokens !== null) {
    if (!Array.isArray(tokens)) throw new WebConfigError(serveSays.webConfigTokensNotList({file}))
    for (const t of tokens) {
      const m = typeof t === 'string' ? SHA256.exec(t) : null
      if (!m) throw new WebConfigError(serveSays.webConfigTokenHash({file}))
      config.tokens.push(Buffer.from(m[1]!, 'hex'))
    }
  }
  return config
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest()

/**
 * Checks a request's Authorization header against the config: true when no auth is configured or the
 * header carries an accepted user and password, or token. bcrypt verifications that succeeded are
 * cached by the SHA-256 of the header (as exporter-toolkit does), so a scrape costs one hash.
 */
export function authenticator(config: WebConfig): (header: string | undefined) => Promise<boolean> {
  if (config.users.size === 0 && config.tokens.length === 0) return async () => true
  const verified = new Set<string>()
  return async (header) => {
    if (!header || header.length > 4096) return false
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)
    if (bearer) {
      const digest = sha256(bearer[1]!)
      let ok = false
      for (const t of config.tokens) ok = timingSafeEqual(t, digest) || ok
      return ok
    }
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header)
    if (!basic) return false
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return false
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    const hash = config.users.get(user)
    if (hash === undefined) return false
    const key = sha256(header).toString('hex')
    if (verified.has(key)) return true
    const sha = SHA256.exec(hash)
    let ok: boolean
    if (sha) ok = timingSafeEqual(Buffer.from(sha[1]!, 'hex'), sha256(password))
    else {
      const {default: bcrypt} = await import('bcryptjs')
      ok = await bcrypt.compare(password, hash)
    }
    if (ok && verified.size < 1000) verified.add(key)
    return ok
  }
}
