// A CheckContext for check tests: fields with provenance, facts as given.
import type {FieldName, Provenance} from '../../src/config/types.js'
import type {Facts} from '../../src/core/facts.js'
import type {CheckContext} from '../../src/checks/types.js'

export const ENV_FILE: Provenance = {
  kind: 'env-file',
  name: 'DATABASE_URL',
  file: '.env',
  label: 'DATABASE_URL in .env',
}

export function makeCtx(opts: {
  fields?: Partial<Record<FieldName, string>>
  labels?: Partial<Record<FieldName, string>>
  facts?: Facts
  env?: Record<string, string>
  timeoutMs?: number
}): CheckContext {
  const fields: CheckContext['config']['fields'] = {}
  for (const [k, v] of Object.entries(opts.fields ?? {})) {
    const label = opts.labels?.[k as FieldName]
    fields[k as FieldName] = {value: v as string, source: label ? {...ENV_FILE, name: label, label} : ENV_FILE}
  }
  return {
    config: {fields, primary: ENV_FILE, shadowed: [], problems: [], notFound: false},
    env: opts.env ?? {},
    cwd: process.cwd(),
    options: {timeoutMs: opts.timeoutMs ?? 1000, verbose: false, dnsServers: []},
    facts: opts.facts ?? {},
    results: new Map(),
  }
}
