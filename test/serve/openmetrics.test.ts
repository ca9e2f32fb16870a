// `check --format openmetrics`: the reporter as a pure function (hostile report text never reaches a
// label or a value; only defined metrics and labels), and the real CLI against the shared test server
// (healthy, wrong password, both in one run with target labels), its output validated by the real
// `promtool check metrics` (Debian's prometheus package).
import {describe, expect, inject, it} from 'vitest'
import type {Report} from '../../src/core/types.js'
import {labelValue, renderExposition} from '../../src/reporters/exposition.js'
import {PROBE_METRICS, SERVE_METRICS} from '../../src/catalogue/metrics.js'
import {renderOpenMetrics} from '../../src/reporters/openmetrics.js'
import {runCli} from '../helpers/cli.js'
import {APP_DATABASE, APP_USER, CANARY_PASSWORD} from '../helpers/constants.js'
import {prometheusSupport, promtool} from '../helpers/prometheus.js'

const HOSTILE = `${CANARY_PASSWORD} postgres://u:${CANARY_PASSWORD}@evil/db "}\n# EOF\nx{a="b"} 1 \u202e`

function report(over: Partial<Report['checks'][number]> = {}): Report {
  return {
    version: 1,
    tool: 'db-doctor@0.0.0',
    target: {host: 'evil.example', port: 5432, database: 'd', user: 'u', sslmode: null, sources: {url: HOSTILE}},
    checks: [
      {
        id: 'config',
        title: 'C',
        status: 'pass',
        code: null,
        summary: HOSTILE,
        evidence: {x: HOSTILE},
        fix: null,
        durationMs: 1,
      },
      {
        id: 'tls',
        title: 'TLS',
        status: 'warn',
        code: 'TLS_EXPIRING_SOON',
        summary: HOSTILE,
        evidence: {chain: [{depth: 0, subject: HOSTILE, notAfter: '2027-01-01T00:00:00.000Z'}]},
        fix: null,
        durationMs: 20,
      },
      {
        id: 'auth',
        title: 'Auth',
        status: 'fail',
        code: 'AUTH_PASSWORD_FAILED',
        summary: HOSTILE,
        evidence: {message: HOSTILE},
        fix: null,
        durationMs: 30,
        findings: [
          {code: 'AUTH_PASSWORD_FAILED', status: 'fail', summary: HOSTILE},
          {code: `BAD code ${HOSTILE}`, status: 'warn', summary: HOSTILE},
        ],
        ...over,
      },
      {
        id: 'server',
        title: 'Server',
        status: 'pass',
        code: null,
        summary: HOSTILE,
        // the text is for people; the numbers are read from connectionSlots only
        evidence: {connections: '1/1 used, 0 reserved', connectionSlots: {max: 100, reserved: 3, used: 6, free: 91}},
        fix: null,
        durationMs: 5,
      },
      {
        id: 'migrations',
        title: 'Migrations',
        status: 'fail',
        code: 'MIGRATION_LOCKED',
        summary: HOSTILE,
        evidence: {
          holders: [{pid: 1, backend_start: '2026-12-07T10:00:00+00', application_name: HOSTILE}],
          lockAge: {atMostSeconds: 1800, atLeastSeconds: 600},
        },
        fix: null,
        durationMs: 5,
      },
    ],
    summary: {pass: 2, warn: 1, fail: 2, skip: 0, verdict: 'failing'},
  }
}

describe('the openmetrics reporter (pure)', () => {
  it('writes every finding, numbers from structured evidence, and no text from the report', () => {
    const out = renderOpenMetrics(report())
    expect(out).not.toContain(CANARY_PASSWORD)
    expect(out).not.toContain('evil')
    expect(out).not.toContain('\u202e')
    expect(out.endsWith('# EOF\n')).toBe(true)
    expect(out.match(/# EOF/g)).toHaveLength(1)
    expect(out).toContain('db_doctor_probe_success 0\n')
    expect(out).toContain('db_doctor_verdict{verdict="failing",check="auth",code="AUTH_PASSWORD_FAILED"} 1')
    expect(out).toContain('db_doctor_check_status{check="auth",code="AUTH_PASSWORD_FAILED",status="fail"} 1')
    expect(out).toContain('db_doctor_check_status{check="auth",code="invalid",status="warn"} 1')
    expect(out).toContain('db_doctor_check_status{check="tls",code="TLS_EXPIRING_SOON",status="warn"} 1')
    expect(out).toContain('db_doctor_check_status{check="config",code="",status="pass"} 1')
    expect(out).toContain('db_doctor_tls_cert_expiry_timestamp_seconds{depth="0"} 1798761600')
    expect(out).toContain('db_doctor_connection_slots_max 100\n')
    expect(out).toContain('db_doctor_connection_slots_used 6\n')
    expect(out).toContain('db_doctor_connection_slots_free 91\n')
    expect(out).toContain('db_doctor_migration_locked 1\n')
    expect(out).toContain('db_doctor_migration_lock_age_seconds 1800\n')
    expect(out).toContain('db_doctor_migration_lock_min_age_seconds 600\n')
    // every sample line is a defined metric
    const names = new Set<string>(PROBE_METRICS.map((m) => m.name))
    for (const line of out.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(names.has(line.split(/[{ ]/)[0]!), line).toBe(true)
  })

  it('a fleet: every series carries its target name, escaped and bounded', () => {
    const out = renderOpenMetrics({
      version: 1,
      tool: 't',
      reports: [
        {...report(), name: 'eu "primary"\\\n'},
        {...report(), name: 'x'.repeat(300)},
      ],
      summary: {targets: 2, healthy: 0, degraded: 0, failing: 2, verdict: 'failing'},
    })
    expect(out).toContain('db_doctor_probe_success{target="eu \\"primary\\"\\\\"} 0')
    expect(out).toContain(`db_doctor_probe_success{target="${'x'.repeat(128)}"} 0`)
  })

  it('label values: quotes, backslashes and control characters', () => {
    expect(labelValue('a"b\\c\nd\u0000')).toBe('a\\"b\\\\cd')
  })

  it('counters: _total on the sample; the family name differs between the two formats', () => {
    const s = [{name: 'db_doctor_probes', labels: {result: 'success'}, value: 3}]
    expect(renderExposition(SERVE_METRICS, s, 'openmetrics')).toContain(
      '# TYPE db_doctor_probes counter\ndb_doctor_probes_total{result="success"} 3',
    )
    expect(renderExposition(SERVE_METRICS, s, 'prometheus')).toContain(
      '# TYPE db_doctor_probes_total counter\ndb_doctor_probes_total{result="success"} 3',
    )
    expect(() => renderExposition(SERVE_METRICS, [{name: 'nope', value: 1}], 'prometheus')).toThrow()
    expect(() =>
      renderExposition(SERVE_METRICS, [{name: 'db_doctor_targets', labels: {x: '1'}, value: 1}], 'prometheus'),
    ).toThrow()
  })

  it('metric names follow the Prometheus naming rules', () => {
    for (const m of [...PROBE_METRICS, ...SERVE_METRICS]) {
      expect(m.name).toMatch(/^db_doctor_[a-z0-9_]+$/)
      if (m.type === 'counter') expect(m.name).not.toMatch(/_total$/)
    }
  })
})

const prom = prometheusSupport()
const pg = inject('pg')

describe.skipIf(!prom.ok)('check --format openmetrics against the test server', () => {
  it('healthy and wrong password in one run: target labels, root-cause code, promtool check metrics passes, no password', async () => {
    const tls = `sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}`
    const url = (pw: string) => `postgres://${APP_USER}:${pw}@${pg.host}:${pg.port}/${APP_DATABASE}?${tls}`
    const wrong = `wrong-${CANARY_PASSWORD}`
    const res = await runCli(['check', '--format', 'openmetrics', url(CANARY_PASSWORD), url(wrong)], {
      cwd: '/',
    })
    expect(res.code, res.stderr).toBe(1)
    expect(res.stdout + res.stderr).not.toContain(CANARY_PASSWORD)
    const lines = res.stdout.split('\n')
    const target = `${APP_USER}@${pg.host}:${pg.port}/${APP_DATABASE}`
    expect(lines).toContain(`db_doctor_probe_success{target="${target}"} 1`)
    expect(lines).toContain(`db_doctor_probe_success{target="${target} #2"} 0`)
    expect(lines).toContain(
      `db_doctor_check_status{target="${target} #2",check="auth",code="AUTH_PASSWORD_FAILED",status="fail"} 1`,
    )
    expect(res.stdout).toMatch(new RegExp(`db_doctor_connection_slots_free\\{target="${target}"\\} \\d+`))
    expect(res.stdout).toMatch(/db_doctor_tls_earliest_cert_expiry_timestamp_seconds\{target="[^"]+"\} \d{10}/)
    const checked = await promtool(['check', 'metrics'], res.stdout)
    expect(checked.code, checked.stdout + checked.stderr).toBe(0)
    expect(checked.stdout + checked.stderr).toBe('')
  })
})
