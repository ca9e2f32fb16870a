import type {Report} from '../core/types.js'
import {redactor} from '../core/redact.js'
import {jsonInert} from './escape.js'

/** The JSON report: a public contract (version 1). */
export function renderJson(report: Report): string {
  return jsonInert(redactor.redact(JSON.stringify(report, null, 2)))
}
