// JUnit XML, as GitLab, Jenkins and Azure DevOps read it: one <testsuite> per target, one
// <testcase> per check. A failed check is a <failure> whose message is "CODE: summary" and
// whose body is the evidence and the fix; a skipped check is <skipped>; a warning passes
// (its code and fix go to <system-out>) unless --strict made it count as a failure.
import type {CheckResult, RunReport} from '../core/types.js'
import {isFleet} from '../core/types.js'
import {redactReport} from '../core/redact.js'
import {findingsLine, layoutEvidence, targetLine} from './shared.js'

interface JunitOptions {
  strict?: boolean
  /** ISO time stamp of the run (testsuite timestamp); omitted when not given. */
  timestamp?: string
}

// XML 1.0 allows neither C0 controls other than tab/LF/CR, nor lone surrogates, nor U+FFFE/U+FFFF,
// even escaped: show them as \\uXXXX text.
const INVALID_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * Valid XML, but invisible: line separators and every format character (bidi overrides such as
 * U+202E, zero-width characters, U+FEFF, tag characters). A CI viewer would render them.
 */
const INVISIBLE = /[\u2028\u2029\p{Cf}]/gu

const hex = (c: string) => {
  const code = c.codePointAt(0) ?? 0
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`
}

function clean(text: string): string {
  return text.replace(INVALID_XML, hex).replace(INVISIBLE, hex)
}

/** Text content. */
function xmlText(text: string): string {
  return (
    clean(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // the legacy workflow-command form, which the Actions runner honours anywhere in a line
      .replace(/##\[/g, '##&#91;')
  )
}

/** An attribute value (double-quoted); line breaks kept as character references. */
function xmlAttr(text: string): string {
  return xmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
}

const seconds = (ms: number) => (ms / 1000).toFixed(3)

/** The evidence and the fix of a check, as plain text (failure body, system-out). */
function checkDetails(c: CheckResult): string {
  const out: string[] = [c.summary]
  const all = findingsLine(c)
  if (all) out.push('', all)
  const layout = layoutEvidence(c.evidence)
  if (layout.pairs.length > 0 || layout.tables.length > 0) {
    out.push('', 'Evidence:')
    for (const [k, v] of layout.pairs) out.push(`  ${k}: ${v}`)
    for (const t of layout.tables) {
      if (t.title) out.push(`  ${t.title}:`)
      for (const r of t.rows) out.push(`    - ${t.columns.map((col, i) => `${col}=${r[i]}`).join(', ')}`)
    }
  }
  if (c.fix) {
    out.push('', `Fix: ${c.fix.summary}`)
    c.fix.steps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`))
    if (c.fix.snippet)
      out.push('', `  # ${c.fix.snippet.language}`, ...c.fix.snippet.code.split('\n').map((l) => `  ${l}`))
  }
  return out.join('\n')
}

export function renderJunit(doc: RunReport, opts: JunitOptions = {}): string {
  doc = redactReport(doc) // masked by structure: string values only, never keys or markup
  const reports = isFleet(doc) ? doc.reports : [{...doc, name: targetLine(doc.target)}]
  const suites: string[] = []
  let tests = 0
  let failures = 0
  let skipped = 0
  let totalMs = 0
  for (const r of reports) {
    const cases: string[] = []
    let suiteFailures = 0
    let suiteSkipped = 0
    let suiteMs = 0
    for (const c of r.checks) {
      suiteMs += c.durationMs
      const name = `${c.id}: ${c.title}`
      const head = `    <testcase classname="${xmlAttr(`db-doctor.${r.name}`)}" name="${xmlAttr(name)}" time="${seconds(c.durationMs)}"`
      const failed = c.status === 'fail' || (opts.strict && c.status === 'warn')
      if (failed) {
        suiteFailures++
        cases.push(
          `${head}>\n      <failure message="${xmlAttr(`${c.code}: ${c.summary}`)}" type="${xmlAttr(c.code ?? 'FAIL')}">${xmlText(checkDetails(c))}</failure>\n    </testcase>`,
        )
      } else if (c.status === 'skip') {
        suiteSkipped++
        cases.push(`${head}>\n      <skipped message="${xmlAttr(c.summary)}"/>\n    </testcase>`)
      } else if (c.status === 'warn') {
        cases.push(
          `${head}>\n      <system-out>${xmlText(`WARNING ${c.code}: ${checkDetails(c)}`)}</system-out>\n    </testcase>`,
        )
      } else {
        cases.push(`${head}/>`)
      }
    }
    tests += r.checks.length
    failures += suiteFailures
    skipped += suiteSkipped
    totalMs += suiteMs
    const stamp = opts.timestamp ? ` timestamp="${xmlAttr(opts.timestamp)}"` : ''
    suites.push(
      `  <testsuite name="${xmlAttr(r.name)}" tests="${r.checks.length}" failures="${suiteFailures}" errors="0" skipped="${suiteSkipped}" time="${seconds(suiteMs)}"${stamp}>\n` +
        `    <properties>\n      <property name="target" value="${xmlAttr(targetLine(r.target))}"/>\n      <property name="verdict" value="${r.summary.verdict}"/>\n      <property name="tool" value="${xmlAttr(r.tool)}"/>\n    </properties>\n` +
        (cases.length > 0 ? `${cases.join('\n')}\n` : '') +
        '  </testsuite>',
    )
  }
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="db-doctor" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(totalMs)}">\n` +
    `${suites.join('\n')}\n</testsuites>`
  return xml
}
