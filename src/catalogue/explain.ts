// The words of `db-doctor explain`'s own report around the entries it recognised (the entries' words are
// their catalogue files'); src/explain/render.ts lays them out as text and Markdown.
import {messages} from './types.js'

function knownErrors(count: number): string {
  return `${count} known error${count === 1 ? '' : 's'}`
}

export const explainSays = messages({
  /** `db-doctor explain` on a terminal with no text: a usage error */
  noText: () => 'Give the error text as an argument, or pipe it on stdin (db-doctor explain < ci.log).',
  /** the text report's first line */
  headline: (p: {count: number}) =>
    p.count === 0
      ? 'db-doctor explain: no known PostgreSQL connection error found in the text.'
      : `db-doctor explain: ${knownErrors(p.count)} found.`,
  /** the Markdown report's heading */
  heading: (p: {count: number}) =>
    `## db-doctor explain: ${p.count === 0 ? 'no known error found' : knownErrors(p.count)}`,
  /** the codes a hint's wording hides (src/catalogue/hints.ts) */
  codesItCanHide: (p: {codes: string}) => `Codes it can hide: ${p.codes}`,
  transient: (p: {transient: boolean}) => `Waiting can fix it: ${p.transient ? 'yes (transient)' : 'no'}`,
  /** after no match: where the real diagnosis is */
  runCheck: () => 'Run `db-doctor check` where the app runs to diagnose the connection itself.',
})
