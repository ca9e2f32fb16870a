// The app's installed PostgreSQL driver, as its migration tool will load it: missing, too old for the
// Node that runs it (pg < 8.0.3 never returns from connect() on Node ≥ 14), too old for the server's
// SCRAM authentication (pg < 7.9, named in the same finding). Emitted by the config check (files only).
import type {Fix} from '../core/types.js'
import {define, messages} from './types.js'

/** The evidence lines of the driver findings that are words. */
export const driverEvidence = messages({
  notInstalled: () => 'not installed (not resolvable from the app folder)',
  modelled: () => "the pg Node resolves from the app's folder; the Node that runs db-doctor",
})

/** What each tool prints when it cannot load pg (the tools' sources, quoted in the examples below). */
const MISSING_ERROR: Record<string, string> = {
  knex: "Knex: run $ npm install pg --save … Cannot find module 'pg'",
  'node-pg-migrate': "Cannot find module 'pg'",
  typeorm:
    'DriverPackageNotInstalledError: Postgres package has not been found installed. Please run "npm install pg".',
  'sequelize-cli': 'Please install pg package manually',
}

type DriverNotInstalledParams = {
  /** the tool that loads the driver */
  tool: string
  /** its installed version */
  toolVersion: string
  driver: 'pg'
}

type DriverTooOldParams = {
  driver: 'pg'
  /** the installed version */
  version: string
  /** the Node that runs the tool (the one running db-doctor) */
  node: string
  /** the tool that loads it, when one is found */
  tool: string | null
  /** pg < 7.9: no SCRAM either (SASL/SCRAM arrived in 7.9.0, node-postgres CHANGELOG) */
  noScram: boolean
}

const upgradeSnippet = (tool: string | null) => ({
  language: 'bash' as const,
  code: `npm install pg@^8${tool ? `   # the driver ${tool} loads from the app's node_modules` : ''}`,
})

const CONFIG_DRIVER_NOT_INSTALLED = define<DriverNotInstalledParams>({
  code: 'CONFIG_DRIVER_NOT_INSTALLED',
  check: 'config',
  status: 'fail',
  title: "The tool's PostgreSQL driver is not installed where it runs",
  meaning:
    'The migration tool or ORM loads the PostgreSQL driver at run time, and it is not installed in the app: knex ("Knex: run $ npm install pg --save"), TypeORM (DriverPackageNotInstalledError), drizzle-kit ("please install either of \'pg\', \'postgres\'…"), Sequelize ("Please install pg package manually"). The config check sees it from the files: the tool is in the app\'s node_modules and `pg` cannot be resolved from the app\'s folder (as Node resolves it).',
  causes: [
    'pg (or postgres) is not a dependency of the app, or only a devDependency pruned in the production image',
    "the tool runs from a global install or npx and does not see the app's node_modules",
    'a monorepo where the driver is installed in another package',
  ],
  fix: 'Install the driver in the app that runs the tool: `npm install pg` (knex, TypeORM, Sequelize, drizzle-kit with node-postgres) or `npm install postgres` (drizzle with postgres.js), as a dependency if migrations run in the production image.',
  transient: false,
  matchers: [
    // knex prints "Knex: run" and "$ npm install <driver> --save" on two lines (explain reads line by line)
    {re: /Knex: run\s{0,10}$/, needle: 'knex: run'},
    'DriverPackageNotInstalledError',
    {re: /Postgres package has not been found installed/i, needle: 'package has not been found installed'},
    "please install either of 'pg', 'postgres'",
    {re: /Please install (?:pg|pg-native) package manually/i, needle: 'package manually'},
    // Node's own error when the driver is required and absent (any tool)
    {re: /Cannot find module '(?:pg|postgres|pg-native)'/, needle: 'cannot find module'},
  ],
  examples: [
    // knex 3.3 lib/client.js:223 (initializeDriver), the message spans two lines
    {source: 'knex', text: "Error: Knex: run\n$ npm install pg --save\nCannot find module 'pg'"},
    // TypeORM 0.3 and 1.1 error/DriverPackageNotInstalledError.js:10
    {
      source: 'typeorm',
      text: 'DriverPackageNotInstalledError: Postgres package has not been found installed. Please run "npm install pg".',
    },
    // drizzle-kit 0.31 bin.cjs (preparePostgresDB)
    {
      source: 'drizzle-kit',
      text: "To connect to Postgres database - please install either of 'pg', 'postgres', '@neondatabase/serverless' or '@vercel/postgres' drivers",
    },
    // sequelize 6 lib/dialects/abstract/connection-manager.js:55
    {source: 'sequelize', text: 'Error: Please install pg package manually'},
  ],
  summary: (p) =>
    `${p.tool} ${p.toolVersion} is installed here but pg is not: ${p.tool} stops before it connects with "${MISSING_ERROR[p.tool] ?? "Cannot find module 'pg'"}".`,
  buildFix: (p): Fix => ({
    summary: `Install pg in the app that runs ${p.tool} (a dependency, not a devDependency, when migrations run in the production image).`,
    steps: [
      'npm install pg',
      'In a Docker image built with `npm ci --omit=dev`, keep pg (and the tool) in dependencies.',
    ],
    snippet: {language: 'bash', code: 'npm install pg'},
  }),
})

const CONFIG_DRIVER_TOO_OLD = define<DriverTooOldParams>({
  code: 'CONFIG_DRIVER_TOO_OLD',
  check: 'config',
  status: 'fail',
  title: 'The installed pg never returns from connect() on this Node',
  meaning:
    'node-postgres before 8.0.3 relies on a stream behaviour Node 14 changed: on Node 14 and later its connect() never resolves or rejects, so the tool waits for its own timeout (knex: "Knex: Timeout acquiring a connection. The pool is probably full.") or forever, whatever the server says. Read from the pg the app\'s node_modules resolve and the Node that runs db-doctor (the same `node` on the PATH runs the tool). pg before 7.9 cannot do SCRAM-SHA-256 either (node-postgres CHANGELOG: 7.9.0 added SASL/SCRAM).',
  causes: [
    'an old lockfile (knex 0.21, sequelize 5, typeorm 0.2 era) pinning pg 7.x',
    'a Docker base image upgraded to Node 14+ without upgrading pg',
  ],
  fix: 'Upgrade the driver: `npm install pg@^8` (8.0.3 or later); knex 0.95+, sequelize 6 and typeorm 0.2.25+ work with pg 8.',
  transient: false,
  matchers: [],
  examples: [
    // db-doctor's own line (no tool prints anything: the connect just never returns)
    {
      source: 'db-doctor',
      text: 'fail  config  CONFIG_DRIVER_TOO_OLD  pg 7.18.2 is installed and this is Node 20.20.2: connect() never returns',
    },
  ],
  summary: (p) =>
    `pg ${p.version} is installed${p.tool ? ` (the driver ${p.tool} loads)` : ''} and this is Node ${p.node}: pg before 8.0.3 never returns from connect() on Node 14 and later, so ${p.tool ?? 'the app'} waits for its own timeout with no error from the server${p.noScram ? '; it cannot do SCRAM-SHA-256 either (before 7.9)' : ''}.`,
  buildFix: (p): Fix => ({
    summary: `Upgrade pg to 8.0.3 or later (pg ${p.version} is installed).`,
    steps: [
      'npm install pg@^8',
      ...(p.tool === 'knex'
        ? ['knex before 0.95 pins nothing: upgrade knex too if it is older (npm install knex@^3).']
        : []),
      'Or, while you cannot upgrade, run the tool on Node 12 (end of life: not recommended).',
    ],
    snippet: upgradeSnippet(p.tool),
  }),
})

export const driverEntries = [CONFIG_DRIVER_NOT_INSTALLED, CONFIG_DRIVER_TOO_OLD]
export {CONFIG_DRIVER_NOT_INSTALLED, CONFIG_DRIVER_TOO_OLD}
