// `db-doctor serve` as a library: the closed list of targets, each probe a full check of one of them
// (app/diagnose), served by server.ts. The command (src/commands/serve.ts) only reads flags and files.
import {diagnose, type DiagnoseInput} from '../diagnose.js'
import type {FleetTarget} from '../../fleet/index.js'
import type {ProbeRunner} from './server.js'

export {createProbeServer, negotiate, type ProbeServer, type ServeOptions} from './server.js'
export {readWebConfig, WebConfigError, type WebConfig} from './web-config.js'

/** A probe runner over named targets: the configuration is resolved anew for every probe (files change). */
export function targetRunner(
  targets: readonly (FleetTarget & {name: string})[],
  base: Omit<DiagnoseInput, 'connection' | 'hooks'>,
): ProbeRunner {
  const byName = new Map(targets.map((t) => [t.name, t]))
  return async (name, {timeoutMs, onCheck}) => {
    const t = byName.get(name)
    if (!t) throw new Error('serve: unknown target') // the server answers 404 before it asks
    return diagnose({
      ...base,
      connection: t.connection,
      options: {...base.options, timeoutMs, ...(t.knexEnv ? {knexEnv: t.knexEnv} : {})},
      hooks: {onEnd: onCheck},
    })
  }
}
