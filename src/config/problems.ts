// Config problems carry a code and params (src/config/problem-params.ts), nothing worded: the catalogue
// (src/catalogue/config.ts) words them.
import {CONFIG_DEFAULT_STATUS, type ConfigCode, type ConfigParams} from './problem-params.js'
import type {ConfigProblem, Provenance} from './types.js'

/** Whether a problem only warns: its own status when it has one, else its code's default. */
export function problemIsWarning(problem: Pick<ConfigProblem, 'code' | 'status'>): boolean {
  return (problem.status ?? CONFIG_DEFAULT_STATUS[problem.code]) === 'warn'
}

/** The params without the source (each member of a union alike). */
type WithoutSource<T> = T extends unknown ? Omit<T, 'source'> : never

/** A problem of `code` from `source`; `params` are the data its words need (the source is added). */
export function configProblem<C extends ConfigCode>(
  code: C,
  source: Provenance,
  params: WithoutSource<ConfigParams[C]>,
  details?: Record<string, unknown>,
  status?: 'fail' | 'warn',
): ConfigProblem {
  const full = {...params, source} as unknown as ConfigParams[C]
  return {
    code,
    params: full,
    source,
    ...(details ? {details} : {}),
    ...(status ? {status} : {}),
  } as ConfigProblem
}
