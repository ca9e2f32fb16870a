// One attempt of a single target, followed check by check so that a run cut short — by `wait`'s deadline or a
// signal to `check` or `wait` — still reports what it found. Used by both commands (cli/doctor.ts, commands/wait.ts).
import type {CheckResult, RunReport} from '../core/types.js'
import {runnerWords} from '../catalogue/runner.js'
import {cutReport, type RunHooks} from '../core/runner.js'

/**
 * Follows one attempt of a single target (pass `hooks` to diagnose): `cut()` is the report of what it has
 * found when the wait cuts it — the checks that ended, then the one running, skipped with the runner's
 * `cut` words. Undefined before the first check started.
 */
export function attemptTracker(tool: string): {
  hooks: RunHooks
  /** The report cut short: the checks that ended, and the running one as a skip (`signal`: what stopped check). */
  cut(by: 'deadline' | 'interrupted', signal?: string): RunReport | undefined
} {
  const ended: CheckResult[] = []
  let running: {id: string; title: string; started: number} | undefined
  return {
    hooks: {
      onStart: (check) => (running = {id: check.id, title: check.title, started: performance.now()}),
      onEnd: (result) => {
        ended.push(result)
        running = undefined
      },
    },
    cut(by, signal) {
      if (!running && ended.length === 0) return undefined
      const checks = [...ended]
      if (running) {
        const afterMs = Math.round(performance.now() - running.started)
        checks.push({
          id: running.id,
          title: running.title,
          status: 'skip',
          code: null,
          summary: runnerWords.cut({check: running.id, afterMs, by, ...(signal ? {signal} : {})}),
          evidence: {cutAfterMs: afterMs, cutBy: by, ...(signal ? {signal} : {})},
          fix: null,
          durationMs: afterMs,
          findings: [],
        })
      }
      return cutReport(checks, tool)
    },
  }
}
