// `db-doctor serve`: I/O only. Reads flags, the env file, the targets and the web config, starts the
// prober (src/app/serve/) and stops it gracefully on SIGTERM / SIGINT.
import * as Flags from '@oclif/core/flags'
import {DoctorCommand} from '../cli/base.js'
import {redactor} from '../core/redact.js'
import {requestExit} from '../cli/exit.js'

/** "127.0.0.1:9754", "[::1]:9754", ":9754" (every interface), "0.0.0.0:9754". */
export function parseListen(value: string): {host: string; port: number} | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value)
  if (!m) return undefined
  const port = Number(m[3])
  if (port > 65535) return undefined
  const host = m[1] ?? (m[2] || '::')
  return {host, port}
}

export default class Serve extends DoctorCommand {
  static override enableJsonFlag = false

  static override summary = 'Serve probe results to Prometheus: GET /probe?target=NAME runs a full check of NAME.'

  static override description = `A Prometheus prober in the style of blackbox_exporter (the multi-target exporter pattern): Prometheus scrapes /probe?target=NAME and gets NAME's check as metrics (db_doctor_probe_success, db_doctor_check_status{check,code,status}, phase durations, certificate expiry, free connection slots, migration lock age). NAME is one of the targets of --targets FILE (JSON lines {"name","connection"}) or, with --all-envs, a knexfile environment: never a URL from the request (an unknown name is 404, and nothing is dialled). /metrics has the prober's own metrics, /-/healthy answers OK.

Binds 127.0.0.1 unless --listen says otherwise. --web-config FILE adds basic auth (bcrypt or sha256 hashes), bearer tokens and TLS, in the exporters' web-config.yml format. Each probe ends before X-Prometheus-Scrape-Timeout-Seconds (less 0.5 s); at most --concurrency probes run at once; a target's result is reused for --min-interval. SIGTERM: stop accepting, let running probes finish, exit 0. Metrics, alerting rules and Kubernetes manifests: docs/prometheus.md.`

  static override flags = {
    listen: Flags.string({
      description: 'Address to listen on: HOST:PORT, [V6]:PORT, or :PORT for every interface.',
      default: '127.0.0.1:9754',
    }),
    targets: Flags.string({
      description: 'File listing the targets: JSON lines {"name","connection"} (each needs a name).',
    }),
    'all-envs': Flags.boolean({
      description: 'Every environment of the knexfile (or sequelize-cli config) in the working folder is a target.',
      default: false,
    }),
    knexfile: Flags.string({description: 'Path of the knexfile (default: where the knex CLI finds it).'}),
    'env-file': Flags.string({description: 'Env file to read (default: .env in the working folder when present).'}),
    timeout: Flags.integer({
      description: 'Budget per network step, in milliseconds (cut to the probe deadline).',
      default: 5000,
      min: 100,
      max: 600_000,
    }),
    'probe-timeout': Flags.integer({
      description:
        'Longest probe, in milliseconds, when the scraper sends no X-Prometheus-Scrape-Timeout-Seconds (else that less 0.5 s).',
      default: 30_000,
      min: 500,
      max: 600_000,
    }),
    concurrency: Flags.integer({description: 'Probes running at the same time.', default: 4, min: 1, max: 64}),
    'min-interval': Flags.integer({
      description: 'Milliseconds a target’s result is answered again instead of probing again (0: never).',
      default: 5000,
      min: 0,
      max: 3_600_000,
    }),
    'web-config': Flags.string({
      description: 'Web config file (exporter-toolkit format): tls_server_config, basic_auth_users, bearer_tokens.',
    }),
    strict: Flags.boolean({description: 'Warnings fail the probe (db_doctor_probe_success 0).', default: false}),
    'shutdown-grace': Flags.integer({
      description:
        'On SIGTERM / SIGINT, milliseconds running probes may still finish; then they are cancelled (their scrapes answered 503) and serve exits 0.',
      default: 10_000,
      min: 0,
      max: 600_000,
    }),
  }

  static override examples = [
    {
      description: 'Probe the targets of targets.jsonl for a Prometheus on this machine',
      command: '<%= config.bin %> <%= command.id %> --targets targets.jsonl',
    },
    {
      description: 'In a container, every knexfile environment, with auth and TLS',
      command: '<%= config.bin %> <%= command.id %> --all-envs --listen :9754 --web-config web.yml',
    },
  ]

  public async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    // the catalogue loads with the command's run, not with --help (test/cli.test.ts)
    const {serveSays} = await import('../catalogue/serve.js')
    const listen = parseListen(flags.listen)
    if (!listen) this.usage(serveSays.listenSyntax({value: flags.listen}))
    if (!flags.targets && !flags['all-envs']) this.usage(serveSays.needsTargets())
    const loaded = await this.loadEnvironment(flags['env-file'])
    const serve = await import('../app/serve/index.js')
    const targets = await this.readTargets(flags, loaded, serveSays)
    const web = await this.readWeb(flags['web-config'])
    const log = (line: string) => process.stderr.write(redactor.redact(line) + '\n')
    const prober = serve.createProbeServer({
      targets: targets.map((t) => t.name),
      run: serve.targetRunner(targets, {
        cwd: process.cwd(),
        env: loaded.env,
        envFileOf: loaded.envFileOf,
        options: {
          timeoutMs: flags.timeout,
          verbose: false,
          dnsServers: [],
          knexfile: flags.knexfile,
          envFile: flags['env-file'],
        },
        strict: flags.strict,
        tool: `db-doctor@${this.config.version}`,
      }),
      version: this.config.version,
      stepTimeoutMs: flags.timeout,
      probeTimeoutMs: flags['probe-timeout'],
      concurrency: flags.concurrency,
      minIntervalMs: flags['min-interval'],
      strict: flags.strict,
      web,
      log,
    })
    let address
    try {
      address = await prober.listen(listen.host, listen.port)
    } catch (error) {
      this.usage(serveSays.cannotListen({listen: flags.listen, code: (error as NodeJS.ErrnoException).code ?? 'error'}))
    }
    const scheme = web?.tls ? 'https' : 'http'
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    log(serveSays.listening({url: `${scheme}://${host}:${address.port}`, targets: targets.length}))
    await untilStopped(prober, flags['shutdown-grace'], log, serveSays)
    // Cancelled probes' sockets, timers and lookups are abandoned: exit once the output is written
    // instead of waiting for each step's budget (src/cli.ts). Nothing set an exit code: 0.
    requestExit()
  }

  /** The named targets: the --targets file's (each needs a name), then --all-envs' environments; names unique. */
  private async readTargets(
    flags: {targets?: string; 'all-envs': boolean; knexfile?: string; timeout: number},
    loaded: {env: Record<string, string | undefined>},
    serveSays: ServeWords,
  ): Promise<ServeTarget[]> {
    const fleet = await import('../fleet/targets.js')
    const targets: ServeTarget[] = []
    if (flags.targets) {
      try {
        for (const [i, t] of fleet.readTargetsFile(flags.targets, process.cwd()).entries()) {
          if (!t.name) this.usage(serveSays.targetWithoutName({file: flags.targets, n: i + 1}))
          targets.push({...t, name: t.name})
        }
      } catch (error) {
        if (error instanceof fleet.TargetsFileError) this.usage(error.message)
        throw error
      }
    }
    if (flags['all-envs']) {
      const opts = {cwd: process.cwd(), env: loaded.env, timeoutMs: flags.timeout}
      const envs =
        (await fleet.knexEnvironmentTargets({...opts, knexfile: flags.knexfile})) ??
        (flags.knexfile ? undefined : await fleet.sequelizeEnvironmentTargets(opts))
      // check's --all-envs words (catalogue/usage.ts), naming a --knexfile as check's line does
      if (!envs)
        this.usage(
          (await import('../catalogue/usage.js')).usageSays.allEnvsNoConfig(
            flags.knexfile ? {knexfile: flags.knexfile} : {},
          ),
        )
      for (const t of envs) targets.push({...t, name: t.name ?? ''})
    }
    const seen = new Set<string>()
    for (const t of targets) {
      if (seen.has(t.name)) this.usage(serveSays.duplicateTargetName({name: t.name}))
      seen.add(t.name)
    }
    return targets
  }

  /** --web-config read (basic auth, bearer tokens, TLS), or none. */
  private async readWeb(file: string | undefined): Promise<WebConfig | undefined> {
    if (!file) return undefined
    const serve = await import('../app/serve/index.js')
    try {
      return await serve.readWebConfig(file)
    } catch (error) {
      if (error instanceof serve.WebConfigError) this.usage(error.message)
      throw error
    }
  }
}

type ServeTarget = {name: string; connection?: string; knexEnv?: string}
type ServeWords = typeof import('../catalogue/serve.js').serveSays
type WebConfig = Awaited<ReturnType<typeof import('../app/serve/index.js').readWebConfig>>

/** Until SIGTERM / SIGINT: then running probes get `graceMs` to finish (a second signal changes nothing). */
function untilStopped(
  prober: {inFlight(): number; shutdown(graceMs: number): Promise<{cancelled: number}>},
  graceMs: number,
  log: (line: string) => void,
  serveSays: ServeWords,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return // a second signal while the first one's grace runs: the same shutdown
      stopping = true
      log(serveSays.stopping({signal, running: prober.inFlight(), graceMs}))
      prober.shutdown(graceMs).then(
        ({cancelled}) => {
          if (cancelled) log(serveSays.cancelledAtGrace({n: cancelled}))
          resolve()
        },
        (error: unknown) => {
          log(serveSays.shutdownFailed({message: (error as Error).message}))
          resolve()
        },
      )
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
}
