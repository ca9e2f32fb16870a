// The metrics of db-doctor's Prometheus / OpenMetrics output, as data (names, types, labels and the HELP
// words the exposition and docs/prometheus.md show): a public contract (dashboards and
// alerting rules name them). This list is their one definition: the openmetrics reporter writes only
// metrics listed here (with exactly these labels), `db-doctor serve` its own metrics from SERVE_METRICS,
// and docs/prometheus.md's tables are generated from both (test/serve/docs.test.ts checks them).
//
// Label values come from closed sets only (check ids, catalogue codes, statuses, verdicts, families,
// phases) plus, in a multi-target `check` run, the target's name from --targets or the knexfile: never a
// password, a URL, a host name or any text a server sent.

export interface MetricDef {
  name: string
  type: 'gauge' | 'counter'
  help: string
  labels: readonly string[]
}

/** One probe's metrics: `check --format openmetrics` and `serve`'s /probe. */
export const PROBE_METRICS = [
  {
    name: 'db_doctor_probe_success',
    type: 'gauge',
    help: 'Whether the probe succeeded: 1 when no check failed (warnings allowed, unless strict), else 0.',
    labels: [],
  },
  {
    name: 'db_doctor_probe_duration_seconds',
    type: 'gauge',
    help: 'How long the whole probe took (configuration, every check).',
    labels: [],
  },
  {
    name: 'db_doctor_verdict',
    type: 'gauge',
    help: 'Always 1: the verdict (healthy, degraded, failing), and the code and check of the first failure (else of the first warning; empty when healthy).',
    labels: ['verdict', 'check', 'code'],
  },
  {
    name: 'db_doctor_check_status',
    type: 'gauge',
    help: 'Always 1: one series per finding of each check (code, warn or fail), one with an empty code for a check that passed or was skipped.',
    labels: ['check', 'code', 'status'],
  },
  {
    name: 'db_doctor_check_duration_seconds',
    type: 'gauge',
    help: 'How long each check took.',
    labels: ['check'],
  },
  {
    name: 'db_doctor_phase_duration_seconds',
    type: 'gauge',
    help: 'Connection phases: dns (name resolution), tcp per address family (the first address of the family, ipv4 or ipv6), tls (the handshake check), login (authentication in a read-only session).',
    labels: ['phase', 'family'],
  },
  {
    name: 'db_doctor_tcp_connect_success',
    type: 'gauge',
    help: 'Per address family (ipv4, ipv6): 1 when the first address of the family accepted the TCP connection.',
    labels: ['family'],
  },
  {
    name: 'db_doctor_tls_cert_expiry_timestamp_seconds',
    type: 'gauge',
    help: 'notAfter of each certificate the server presented, as a Unix time, by depth in the chain (0 = the server certificate).',
    labels: ['depth'],
  },
  {
    name: 'db_doctor_tls_earliest_cert_expiry_timestamp_seconds',
    type: 'gauge',
    help: 'The earliest notAfter of the presented chain, as a Unix time (as blackbox_exporter’s probe_ssl_earliest_cert_expiry).',
    labels: [],
  },
  {
    name: 'db_doctor_connection_slots_max',
    type: 'gauge',
    help: 'max_connections of the server.',
    labels: [],
  },
  {
    name: 'db_doctor_connection_slots_used',
    type: 'gauge',
    help: 'Connections in use on the server (pg_stat_activity, client backends).',
    labels: [],
  },
  {
    name: 'db_doctor_connection_slots_free',
    type: 'gauge',
    help: 'Connection slots a non-superuser role can still take: max_connections minus used minus reserved.',
    labels: [],
  },
  {
    name: 'db_doctor_migration_locked',
    type: 'gauge',
    help: 'Whether the migration tool’s lock is held (MIGRATION_LOCKED): 1 held, 0 free; absent when the migrations check did not look.',
    labels: [],
  },
  {
    name: 'db_doctor_migration_lock_age_seconds',
    type: 'gauge',
    help: 'Upper bound of how long an advisory migration lock (node-pg-migrate, Prisma) has been held: seconds since the holding session connected (PostgreSQL does not record when a lock was granted). Absent for knex (its lock row has no timestamp and can outlive every session) and when no holder is seen.',
    labels: [],
  },
  {
    name: 'db_doctor_migration_lock_min_age_seconds',
    type: 'gauge',
    help: 'Lower bound of the same age: seconds since the holder’s last query began (node-pg-migrate: since its transaction began, which follows the lock). Absent where the age is.',
    labels: [],
  },
  {
    name: 'db_doctor_probe_timed_out',
    type: 'gauge',
    help: 'serve only: 1 when the probe was cut at its deadline (the scrape timeout less an offset); then probe_success is 0 and the checks that finished are reported.',
    labels: [],
  },
] as const satisfies readonly MetricDef[]

/** `db-doctor serve`'s own metrics (/metrics). */
export const SERVE_METRICS = [
  {
    name: 'db_doctor_build_info',
    type: 'gauge',
    help: 'Always 1: the version of db-doctor serving.',
    labels: ['version'],
  },
  {
    name: 'db_doctor_probes',
    type: 'counter',
    help: 'Probes answered, by result: success, failure, timeout, cached (rate limit), rejected (concurrency), cancelled (at shutdown), unknown_target, unauthorized.',
    labels: ['result'],
  },
  {
    name: 'db_doctor_probes_in_flight',
    type: 'gauge',
    help: 'Probes running now.',
    labels: [],
  },
  {
    name: 'db_doctor_targets',
    type: 'gauge',
    help: 'Targets this server may probe (from --targets and the knexfile).',
    labels: [],
  },
  {
    name: 'db_doctor_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident set size of the serving process.',
    labels: [],
  },
] as const satisfies readonly MetricDef[]
