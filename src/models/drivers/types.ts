// What a driver model says: how one PostgreSQL client library, at the version installed in the app,
// turns settings (a URL, an options object, the environment) into a connection — host, user, TLS,
// the parameters it sends to the server — and how it fails. One module per driver in this folder,
// registered in ./index.ts. Pure: no socket, no file read except what the driver itself reads
// (certificate files named in a URL), injected by the caller.

import type {SslRefusal} from '../../config/ssl-refusal.js'

/** The drivers db-doctor knows by name (npm package names are in each model's `packages`). */
export type DriverName = 'node-postgres' | 'postgres.js' | 'prisma-engine'

/** The TLS a driver will use, in the words of the SSL analysis (config/ssl.ts `SslSide`). */
export interface DriverTls {
  /** no: plaintext; try: TLS when the server offers it, else plaintext; yes: TLS or fail. */
  encrypt: 'no' | 'try' | 'yes'
  verifyChain: boolean
  verifyHostname: boolean
  /** Where the trusted CA certificates come from, in words: "Node's built-in CA list", "sslrootcert=ca.pem". */
  caFrom: string
  /** The setting in effect as the driver reads it: "sslmode=require", "ssl: 'require'", "PGSSL=require". */
  setting: string
  /** Where that setting came from (a provenance label). */
  source: string
  /** The options object db-doctor's own TLS client uses to connect exactly as the driver would (no key contents in words). */
  tlsOptions:
    | false
    | {rejectUnauthorized: boolean; servernameCheck: boolean; caFile?: string; certFile?: string; keyFile?: string}
  /** The driver refuses the configuration before connecting (why, as data: src/catalogue/ssl-config.ts words it). */
  error?: SslRefusal
  /**
   * encrypt 'try': the driver goes on without TLS on the same socket when the server answers N to
   * SSLRequest (the ssl value that does it). A TLS handshake or login that fails after the server said S
   * is never retried without TLS. The catalogue words it (catalogue/tls.ts tlsSays.notOfferedFallsBack).
   */
  fallback?: {ssl: string}
  /**
   * encrypt 'yes' (not node-postgres): the error the driver shows when the server answers N, as a key the
   * catalogue words (catalogue/tls.ts NO_TLS_ERROR): 4.x throws SSL_NOT_SUPPORTED, 3.4 starts TLS on the
   * plaintext socket and the server closes it.
   */
  noTlsError?: NoTlsError
}

export type NoTlsError = 'ssl-not-supported' | 'tls-on-plaintext'

/** The driver's reading of a configuration. */
export interface DriverReading {
  driver: DriverName
  version: string
  tls: DriverTls
  /**
   * URL query parameters the driver sends to the server as startup parameters (postgres.js sends
   * every one it does not know itself). The server rejects those that are not settings:
   * "unrecognized configuration parameter".
   */
  startupParams: Record<string, string>
  /** Seconds before the driver gives up connecting (null: no limit of its own). */
  connectTimeoutS: number | null
}

/** What the driver is given: the way the app hands settings to it. */
export interface DriverInput {
  /** A postgres:// URL, when the app passes one. Holds the password. */
  url?: string
  /** Where the URL came from (label). */
  urlSource?: string
  /** The app's options object (host/port/user/password/database/ssl…), when the app passes one. */
  options?: Record<string, unknown>
  /** Where the options' ssl came from (label). */
  optionsSource?: string
  /** The environment the driver's process sees. */
  env: Record<string, string | undefined>
}

export interface DriverModel {
  name: DriverName
  /** npm packages that are this driver, first is canonical: ['pg'], ['postgres']. */
  packages: readonly string[]
  /** The release modelled when the app does not have the package installed. */
  currentRelease: string
  /** The environment variables it reads the TLS mode from, by version (["PGSSLMODE"], ["PGSSL"]). */
  sslEnv(version: string): readonly string[]
  /** Read a configuration the way the driver at `version` does. */
  read(input: DriverInput, version: string): DriverReading
  /** First lines of its typical connection errors (for words and pasted-error matching). */
  errors: {timeout: string; closed: string}
  /** Its pool: the option that sizes it and its default (the connection budget). */
  pool: {
    option: string
    defaultMax: number
    describe: string
    /** How long it keeps an idle connection: the option, and its default in ms (null: forever). */
    idle: {option: string; defaultMs: number | null}
  }
}

/**
 * A driver adapter: a package the app (or its tool) connects through that wraps a driver without changing
 * how it reads settings (Prisma 7's @prisma/adapter-pg wraps node-postgres). The wrapped driver's model
 * applies, at the version the adapter loads.
 */
export interface DriverAdapterModel {
  /** Its npm package: '@prisma/adapter-pg'. */
  package: string
  /** The release modelled when the app does not have it installed. */
  currentRelease: string
  /** The driver it wraps. */
  wraps: DriverName
  /** How it hands the app's settings to the driver, in words. */
  merge: string
  /** The folder of the wrapped driver's package as Node loads it for the adapter (its folder, else the app's). */
  driverDir(adapterDir: string | undefined, cwd: string): string | undefined
  /** How its errors surface (first words), for evidence. */
  errors: {tls: string}
}

/** "3.4.10" → "3.4". */
export function minor(version: string): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version)
  return m ? `${m[1]}.${m[2] ?? '0'}` : version
}

/** Compare two dotted versions numerically (missing parts are 0). */
export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0)
  const b = min.split('.').map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d > 0
  }
  return true
}
