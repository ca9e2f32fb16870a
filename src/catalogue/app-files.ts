// Why an app file (a knexfile, prisma.config.ts, a TypeORM data source, sequelize-cli's config…) failed
// to load, in words: config/sources hand the failure over as data (config/problem-params.ts
// AppFileFailure), CONFIG_APP_FILE_ERROR's summary and evidence and the failed source's label show it.
import type {AppCodeEnd} from '../config/app-code.js'
import type {AppFileFailure} from '../config/problem-params.js'
import type {SourceWords} from '../config/types.js'
import {fileReasonText} from './files.js'

function endText(end: AppCodeEnd): string {
  switch (end.how) {
    case 'signal':
      return `the process loading it ended (${end.signal})`
    case 'exit':
      return `it exited (process.exit(${end.code ?? ''})) before it finished loading`
    case 'spawn':
      return `it could not be loaded: ${end.message}`
  }
}

/** The failure as it reads after "Loading knexfile.js failed: " (text that is not db-doctor's stays as it is). */
export function appFileFailureText(f: AppFileFailure): string {
  if (typeof f === 'string') return f
  switch (f.kind) {
    case 'unreadable':
      return fileReasonText(f.reason)
    case 'ended':
      return endText(f.end)
    case 'limit':
      return f.limit === 'time'
        ? `it did not finish loading within ${f.amount} ms and was stopped (a synchronous loop, a promise that never settles, or a connection function that never returns?)`
        : `it used more than ${f.amount} MiB of memory while loading and was stopped`
    case 'missing':
      return `the file named by ${f.how} does not exist`
  }
}

/** The words the configuration sources put in a label: the app passes them in (SourceContext.words). */
export const sourceWords: SourceWords = {
  appFileFailure: appFileFailureText,
  knexfileFailed: (p) =>
    `${p.file} (failed to load: ${'missingEnvironment' in p ? `no "${p.missingEnvironment}" environment` : appFileFailureText(p.failure)})`,
  prismaMigrateUse: () => ', used by prisma migrate',
  rejectUnauthorizedFlag: (p) =>
    `${p.flag} in package.json script "${p.script}" (node-pg-migrate passes it as ssl: {rejectUnauthorized: ${p.value}})`,
}
