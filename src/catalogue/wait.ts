// The words of `db-doctor wait` (src/commands/wait.ts): its stderr lines, one per attempt and one at the end.
import {messages} from './types.js'

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export const waitSays = messages({
  attempt: (p: {attempt: number; elapsedMs: number; state: string | null; nextInMs?: number}) =>
    `db-doctor wait: attempt ${p.attempt}, ${secs(p.elapsedMs)}: ${p.state ?? 'healthy'}` +
    (p.nextInMs !== undefined ? ` (retry in ${secs(p.nextInMs)})` : ''),
  healthy: (p: {attempts: number; elapsedMs: number}) =>
    `db-doctor wait: healthy after ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}, ${secs(p.elapsedMs)}`,
  permanent: (p: {last: string}) => `db-doctor wait: stopped: ${p.last} cannot be fixed by waiting`,
  deadline: (p: {deadlineS: number; last: string}) =>
    `db-doctor wait: deadline of ${p.deadlineS} s passed${p.last ? `; last state ${p.last}` : ''}`,
  interrupted: (p: {last: string}) => `db-doctor wait: interrupted${p.last ? `; last state ${p.last}` : ''}`,
  noReport: () => 'db-doctor wait: no attempt finished, so there is no report',
  cut: (p: {checks: number}) =>
    `db-doctor wait: no attempt finished; the report is of the one cut short (${p.checks} ${p.checks === 1 ? 'check' : 'checks'})`,
})
