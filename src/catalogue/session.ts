// Words shared by the checks that query after the login (server, privileges, migrations): their
// skips when there is no session to query, or no migration tool to look at (src/checks/tools.ts).
import {TOOL_NAMES} from '../models/tools/names.js'
import {messages} from './types.js'

/** No knexfile, Prisma schema or node-pg-migrate in package.json, and no --tool. */
const NO_TOOL = `no migration tool found here (no knexfile, Prisma schema, drizzle.config.*, or node-pg-migrate in package.json); name one with --tool ${TOOL_NAMES.join('|')}`

export const sessionSays = messages({
  noSession: () => 'Skipped: no database session in this run.',
  loginFailed: (p: {code: string | null; byPooler?: boolean}) =>
    `Skipped: no session (the ${p.byPooler ? 'pooler refused the login' : 'login failed'}${p.code ? ` with ${p.code}` : ''}; see the ${p.byPooler ? 'pooler' : 'auth'} check).`,
  noTool: () => `Skipped: ${NO_TOOL}.`,
})
