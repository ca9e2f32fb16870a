// node-postgres (npm `pg`), by installed version. The knowledge lives where it was built and is
// tested against the real pg code: config/pg-config.ts (the exact ClientConfig), config/ssl.ts
// (sslmode semantics: prefer/require/verify-ca mean verify-full unless uselibpqcompat=true; URL
// ssl params replace the app's ssl object; PGSSLMODE only when nobody set ssl) and
// config/url-parser.ts (which pg-connection-string parses the URL: the app's, by version). This
// module is the driver model's face over them, for code that reasons about drivers in general.
import fs from 'node:fs'
import os from 'node:os'
import {analyzeSsl} from '../../config/ssl.js'
import type {Provenance} from '../../config/field.js'
import type {DriverInput, DriverModel, DriverReading} from './types.js'

function provenance(label: string): Provenance {
  return {kind: 'argument', name: 'connection', label}
}

export const nodePostgres: DriverModel = {
  name: 'node-postgres',
  packages: ['pg'],
  currentRelease: '8.16.0',
  sslEnv: () => ['PGSSLMODE'],
  read(input: DriverInput, version: string): DriverReading {
    const a = analyzeSsl({
      ...(input.url
        ? {connectionString: {value: input.url, source: provenance(input.urlSource ?? 'the connection URL')}}
        : {}),
      ...(input.options && 'ssl' in input.options
        ? {appSsl: {value: input.options.ssl, source: provenance(input.optionsSource ?? 'the options object')}}
        : {}),
      fields: {},
      env: input.env,
      cwd: process.cwd(),
      homeDir: input.env.HOME || os.homedir(),
      fileExists: (p) => fs.existsSync(p),
    })
    const n = a.nodePg
    return {
      driver: 'node-postgres',
      version,
      tls: {
        encrypt: n.encrypt,
        verifyChain: n.verifyChain,
        verifyHostname: n.verifyHostname,
        caFrom: n.caFrom,
        setting: n.setting,
        source: n.sources.encrypt,
        tlsOptions: n.encrypt === 'no' ? false : {rejectUnauthorized: n.verifyChain, servernameCheck: n.verifyHostname},
        ...(n.error ? {error: n.error} : {}),
      },
      // node-postgres ignores URL parameters it does not know; it sends none of them.
      startupParams: {},
      connectTimeoutS: null,
    }
  },
  errors: {timeout: 'timeout expired', closed: 'Connection terminated unexpectedly'},
  // pg-pool index.js: `this.options.max = this.options.max || this.options.poolSize || 10`
  // pg-pool index.js: idleTimeoutMillis 10000 when the options leave it undefined
  pool: {
    option: 'max',
    defaultMax: 10,
    describe: "node-postgres' Pool (max, default 10)",
    idle: {option: 'idleTimeoutMillis', defaultMs: 10_000},
  },
}
