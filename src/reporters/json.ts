import type {Report} from '../core/types.js'
import {redactor} from '../core/redact.js'

/** The JSON report: a public contract (version 1). */
export function renderJson(report: Report): string {
  return redactor.redact(JSON.stringify(report, null, 2))
}
