// SQL quoting, once: the statements the checks send (probes/pg-session.ts batch()) and the SQL the
// catalogue shows in a fix quote literals and identifiers with these two helpers.

/** 'it''s' — a SQL string literal for batch() statements (NUL removed: PostgreSQL rejects it). */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/\0/g, '').replace(/'/g, "''")}'`
}

/**
 * "My Table" — a SQL identifier, double quotes doubled. `bare: 'when-plain'` leaves a plain lower-case
 * name unquoted (app_user, not "app_user"), as a person writes it in a fix.
 */
export function sqlIdentifier(name: string, opts: {bare?: 'when-plain'} = {}): string {
  if (opts.bare === 'when-plain' && /^[a-z_][a-z0-9_$]*$/.test(name)) return name
  return `"${name.replace(/"/g, '""')}"`
}
