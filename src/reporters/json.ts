import type {Report} from '../core/types.js'
import {redactReport} from '../core/redact.js'
import {jsonInert} from '../core/escape.js'

/** The JSON report: a public contract (version 1). */
export function renderJson(report: Report): string {
  report = redactReport(report) // masked by structure: string values only, never keys or markup
  return jsonInert(JSON.stringify(report, null, 2))
}
