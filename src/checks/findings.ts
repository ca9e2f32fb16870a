// Several findings of one check folded into the one outcome a check returns: the first (already
// ordered by the caller) gives status, code, summary and fix; the others are named in the summary,
// listed under evidence.alsoFound, and their fixes appended as steps.
import type {Finding} from '../catalogue/types.js'
import type {CheckOutcome, Evidence} from '../core/types.js'

export type {Finding}

/** Fails before warnings, keeping the given order otherwise. */
export function failsFirst<F extends Finding>(a: F, b: F): number {
  return a.severity === b.severity ? 0 : a.severity === 'fail' ? -1 : 1
}

/**
 * The outcome for non-empty, ordered `findings`. `base` evidence goes under the first finding's
 * (`baseWins`: over it), `note` after the first summary.
 */
export function foldFindings(
  findings: readonly Finding[],
  base: Evidence,
  opts: {baseWins?: boolean; note?: string} = {},
): CheckOutcome {
  const [first, ...rest] = findings
  if (!first) throw new Error('foldFindings: no finding')
  const evidence = opts.baseWins ? {...first.evidence, ...base} : {...base, ...first.evidence}
  return {
    status: first.severity,
    code: first.code,
    summary:
      first.summary +
      (opts.note ?? '') +
      (rest.length ? ` (+${rest.length} more: ${rest.map((r) => r.code).join(', ')})` : ''),
    evidence: {
      ...evidence,
      ...(rest.length ? {alsoFound: rest.map((r) => ({code: r.code, status: r.severity, summary: r.summary}))} : {}),
    },
    findings: [first, ...rest].map((f) => ({code: f.code, status: f.severity, summary: f.summary})),
    fix: rest.length
      ? {
          ...first.fix,
          steps: [...first.fix.steps, ...rest.flatMap((r) => [`${r.code}: ${r.fix.summary}`, ...r.fix.steps])],
        }
      : first.fix,
  }
}
