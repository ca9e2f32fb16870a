// The connection pooler between the app and PostgreSQL (PgBouncer, Supavisor, RDS Proxy…), as far as
// it decides whether the app's login and its migration work. Always runs (it describes the
// connection path). Today: a pooler that refuses a startup parameter the app sends
// (POOLER_STARTUP_PARAMETER), read from the login of the run's shared session.
import type {Check, CheckContext, CheckOutcome, Fix} from '../core/types.js'

/** PgBouncer: `unsupported startup parameter: options` (08P01); also its `: search_path`, `: statement_timeout`… */
const UNSUPPORTED_PARAMETER = /unsupported startup parameter:?\s*"?([A-Za-z_][A-Za-z0-9_.-]{0,62})"?/i

/** Pure: the startup parameter a pooler refused, from the login error; null when it is not that error. */
export function refusedStartupParameter(error: {code?: string | null; message?: string | null}): string | null {
  const m = UNSUPPORTED_PARAMETER.exec(error.message ?? '')
  if (!m) return null
  if (error.code && error.code !== '08P01' && error.code !== 'XX000') return null
  return m[1]!
}

/** Where the app's settings send that parameter from (node-postgres startup parameters). */
function parameterSource(ctx: Pick<CheckContext, 'config'>, parameter: string): string {
  if (parameter === 'options') {
    const f = ctx.config.fields.options
    if (f) return f.source.label
    return 'the connection `options` (URL `options=` or PGOPTIONS)'
  }
  if (parameter === 'application_name') return ctx.config.fields.application_name?.source.label ?? 'the connection `application_name`'
  if (/^(statement_timeout|lock_timeout|idle_in_transaction_session_timeout)$/.test(parameter)) {
    return `the client config's \`${parameter}\` (node-postgres sends it as a startup parameter; e.g. a knexfile \`connection.${parameter}\`)`
  }
  if (parameter === 'search_path') return 'a client that sends `search_path` at startup (e.g. a `-c search_path=…` option or the driver\'s schema setting)'
  return ctx.config.connectionString?.source.label ?? ctx.config.primary?.label ?? "the app's connection settings"
}

export function startupParameterFix(parameter: string, source: string): Fix {
  const dropsSettings = parameter === 'options' || parameter === 'search_path'
  return {
    summary: `Stop sending \`${parameter}\` through the pooler, or let the pooler ignore it.`,
    steps: [
      `Remove \`${parameter}\` from ${source}${dropsSettings ? ', and set what it carried on the role instead (e.g. `ALTER ROLE app SET search_path = myschema;`) or with a `SET` after connecting' : ''}.`,
      `Or, on PgBouncer: add it to \`ignore_startup_parameters\` in pgbouncer.ini (e.g. \`ignore_startup_parameters = extra_float_digits,${parameter}\`) and reload PgBouncer${dropsSettings ? ' — the pooler then drops it silently, so the settings it carried no longer apply' : ''}.`,
      'Or connect the migration to the database directly (the direct host or port, not the pooler), which accepts every startup parameter.',
    ],
    snippet: {language: 'ini', code: `[pgbouncer]\nignore_startup_parameters = extra_float_digits,${parameter}`},
  }
}

export async function runPooler(ctx: CheckContext): Promise<CheckOutcome> {
  const broker = ctx.session
  if (!broker) return {status: 'skip', code: null, summary: 'Skipped: no database session in this run.', evidence: {}, fix: null}
  const opened = await broker.open()
  if (!opened.ok) {
    const parameter = refusedStartupParameter(opened.error)
    if (parameter) {
      const source = parameterSource(ctx, parameter)
      return {
        status: 'fail',
        code: 'POOLER_STARTUP_PARAMETER',
        summary: `The pooler refuses the startup parameter \`${parameter}\` the app sends ("${opened.error.message}", ${opened.error.code ?? 'no SQLSTATE'}): every connection of the app fails at login. It comes from ${source}.`,
        evidence: {parameter, source, sqlstate: opened.error.code ?? null, serverMessage: opened.error.message},
        fix: startupParameterFix(parameter, source),
      }
    }
    return {status: 'skip', code: null, summary: `Skipped: no session (the login failed${opened.error.code ? ` with ${opened.error.code}` : ''}; see the auth check).`, evidence: {loginError: opened.error.code}, fix: null}
  }
  return {status: 'pass', code: null, summary: 'The login went through with every startup parameter the app sends.', evidence: {}, fix: null}
}

export const poolerCheck: Check = {
  id: 'pooler',
  title: 'Connection pooler',
  requires: ['tcp', 'postgres'],
  provides: [],
  uses: [],
  run: runPooler,
}
