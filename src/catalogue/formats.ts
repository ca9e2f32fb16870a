// What each report format is for, in words (the reporter registry's descriptions: src/reporters/index.ts),
// and the reports' own sentences (src/reporters/shared.ts).
import {messages} from './types.js'

export const formatSays = messages({
  text: () => 'the report for a terminal or a log',
  json: () => 'one JSON document (version 1)',
  jsonl: () => 'JSON lines, one compact report per target (log pipelines)',
  markdown: () => 'Markdown for a ticket or $GITHUB_STEP_SUMMARY',
  junit: () => 'JUnit XML (GitLab, Jenkins, Azure DevOps): a testsuite per target, a testcase per check',
  github: () => 'GitHub Actions: the text report plus ::error / ::warning annotations',
  openmetrics: () =>
    'OpenMetrics / Prometheus text: node_exporter textfile collector, Pushgateway (docs/prometheus.md); several targets carry a target label',
})

/** The reports' own sentences. */
export const reportSays = messages({
  /** the target line when the configuration gave no host, port, user or database */
  noTarget: () => '(no target: the configuration is broken, see below)',
})
