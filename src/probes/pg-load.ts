// node-postgres, loaded on first use (pg-session.ts imports this module dynamically). The bundle
// (scripts/bundle.mjs) carries pg in this chunk: one file to read instead of about 40 CommonJS files
// resolved one by one in node_modules, about 25 ms and 6 MB less per run.
// The import order is the point: pg-navigator.js runs before pg's own modules.
import {navigatorAdded} from './pg-navigator.js'
import pg from 'pg'

if (navigatorAdded) delete (globalThis as {navigator?: unknown}).navigator

export default pg
