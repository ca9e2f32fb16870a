// The fault lab: runs a Node script inside a private network namespace
// (unshare -rnm, no root needed) whose only interfaces are loopback and a veth
// pair with the test addresses you ask for. nft drops outgoing TCP SYNs to
// "blackholed" addresses: a connect to them times out exactly like a firewall
// that silently drops, with no RST. /etc/hosts and /etc/resolv.conf are
// bind-mounted over inside the namespace, so name resolution sees only what the
// test wrote. Nothing can leave: the namespace has no route to the outside and
// the veth pair has both ends inside.
//
// Requirements: util-linux (unshare), iproute2 (ip), nftables (nft); a kernel
// that allows unprivileged user namespaces (or root).
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export interface LabSupport {
  ok: boolean
  reason?: string
}

export interface LabOptions {
  /** CIDRs put on an interface inside, e.g. '192.0.2.10/24', '2001:db8::10/64'. IPv6 ones get nodad. */
  addresses?: string[]
  /** Addresses or prefixes (v4/v6) whose outgoing TCP SYNs are dropped (silent, no RST). */
  blackhole?: string[]
  /** Addresses or prefixes with an `unreachable` route: connect fails at once with EHOSTUNREACH. */
  unreachable?: string[]
  /** Extra `ip route add …` argument lists, e.g. ['198.51.100.0/24 dev v0']. */
  routes?: string[]
  /** /etc/hosts inside. Default: localhost only. */
  hosts?: string
  /** /etc/resolv.conf inside. Default: a nameserver on 127.0.0.1 inside the lab (nobody answers unless you start one). */
  resolvConf?: string
  /** Path of a Node script (.mjs/.js) run inside with `node`. */
  script: string
  args?: string[]
  /** Flags for node itself (before the script), e.g. ['--no-network-family-autoselection']. */
  nodeArgs?: string[]
  /** Added to (and overriding) the current process environment. */
  env?: Record<string, string>
  cwd?: string
  /** The lab is killed (whole process group) after this long. */
  timeoutMs: number
}

export interface LabResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
  ms: number
}

const DEFAULT_HOSTS = '127.0.0.1 localhost\n::1 localhost ip6-localhost\n'
const DEFAULT_RESOLV = 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n'

let support: LabSupport | undefined

/**
 * Can this machine run the lab? Probes once (unshare + veth + nft) and caches the answer.
 * With DB_DOCTOR_REQUIRE_LAB=1 (CI) a missing lab throws instead, so lab tests fail loudly
 * rather than skip.
 */
export function labSupport(): LabSupport {
  const s = probeLabSupport()
  if (!s.ok && process.env.DB_DOCTOR_REQUIRE_LAB === '1') {
    throw new Error(`the fault lab is required (DB_DOCTOR_REQUIRE_LAB=1) but unavailable: ${s.reason}`)
  }
  return s
}

function probeLabSupport(): LabSupport {
  if (support) return support
  if (process.platform !== 'linux')
    return (support = {ok: false, reason: 'the fault lab needs Linux network namespaces'})
  for (const tool of ['unshare', 'ip', 'nft']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], {encoding: 'utf8'})
    if (r.status !== 0) {
      const pkg = tool === 'unshare' ? 'util-linux' : tool === 'ip' ? 'iproute2' : 'nftables'
      return (support = {ok: false, reason: `${tool} is not installed (apt-get install -y ${pkg})`})
    }
  }
  const probe = spawnSync(
    'unshare',
    [
      '-rnm',
      '--fork',
      'sh',
      '-ec',
      'ip link set lo up; ip link add v0 type veth peer name v1; ip link set v0 up; ' +
        'ip addr add 192.0.2.1/24 dev v0; ip addr add 2001:db8::1/64 dev v0 nodad; ' +
        'nft add table inet lab; nft add chain inet lab out "{ type filter hook output priority 0; policy accept; }"; ' +
        "nft add rule inet lab out ip daddr 192.0.2.2 tcp flags '& (syn | ack) == syn' drop",
    ],
    {encoding: 'utf8', timeout: 10_000},
  )
  if (probe.status !== 0) {
    const why = (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n').slice(-1)[0]
    return (support = {ok: false, reason: `cannot build a network namespace with unshare/ip/nft: ${why}`})
  }
  return (support = {ok: true})
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

function isV6(addr: string): boolean {
  return addr.includes(':')
}

/** The shell that builds the namespace, then execs node with "$@". Exported for debugging. */
export function labSetupScript(
  opts: Pick<LabOptions, 'addresses' | 'blackhole' | 'unreachable' | 'routes'>,
  hostsFile: string,
  resolvFile: string,
): string {
  const lines = [
    'set -e',
    'ip link set lo up',
    'ip link add v0 type veth peer name v1',
    'ip link set v0 up',
    'ip link set v1 up',
  ]
  for (const cidr of opts.addresses ?? []) {
    lines.push(`ip addr add ${shq(cidr)} dev v0${isV6(cidr) ? ' nodad' : ''}`)
  }
  for (const dst of opts.unreachable ?? []) {
    lines.push(`ip ${isV6(dst) ? '-6 ' : ''}route add unreachable ${shq(dst)}`)
  }
  for (const r of opts.routes ?? []) lines.push(`ip route add ${r}`)
  if (opts.blackhole?.length) {
    lines.push('nft add table inet lab')
    lines.push(`nft add chain inet lab out '{ type filter hook output priority 0; policy accept; }'`)
    for (const dst of opts.blackhole) {
      lines.push(
        `nft add rule inet lab out ${isV6(dst) ? 'ip6' : 'ip'} daddr ${shq(dst)} tcp flags '& (syn | ack) == syn' drop`,
      )
    }
  }
  lines.push(`mount --bind ${shq(hostsFile)} /etc/hosts`)
  lines.push(`mount --bind ${shq(resolvFile)} /etc/resolv.conf`)
  lines.push('exec "$@"')
  return lines.join('\n') + '\n'
}

/** Run a Node script inside a fresh lab namespace. Never rejects for the script's own failure. */
export async function runInLab(opts: LabOptions): Promise<LabResult> {
  const dir = mkdtempSync(join(tmpdir(), 'db-doctor-lab-'))
  const hostsFile = join(dir, 'hosts')
  const resolvFile = join(dir, 'resolv.conf')
  const setupFile = join(dir, 'setup.sh')
  writeFileSync(hostsFile, opts.hosts ?? DEFAULT_HOSTS)
  writeFileSync(resolvFile, opts.resolvConf ?? DEFAULT_RESOLV)
  writeFileSync(setupFile, labSetupScript(opts, hostsFile, resolvFile))
  const started = performance.now()
  try {
    return await new Promise<LabResult>((resolve, reject) => {
      const child = spawn(
        'unshare',
        [
          '-rnm',
          '--fork',
          '--kill-child',
          'sh',
          setupFile,
          process.execPath,
          ...(opts.nodeArgs ?? []),
          opts.script,
          ...(opts.args ?? []),
        ],
        {
          cwd: opts.cwd ?? process.cwd(),
          env: {...process.env, ...opts.env},
          detached: true, // own process group: a timeout kills everything inside
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      let stdout = ''
      let stderr = ''
      let timedOut = false
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const timer = setTimeout(() => {
        timedOut = true
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {}
      }, opts.timeoutMs)
      child.on('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        resolve({code, signal, stdout, stderr, timedOut, ms: Math.round(performance.now() - started)})
      })
    })
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Parse the last line of stdout that is JSON (lab scripts print their result as one JSON line). */
export function lastJsonLine<T = unknown>(stdout: string): T {
  const lines = stdout.trim().split('\n').reverse()
  for (const line of lines) {
    const t = line.trim()
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.parse(t) as T
      } catch {}
    }
  }
  throw new Error(`no JSON line in lab output:\n${stdout}`)
}

/**
 * Network timings for scripts/bench: inside the lab, a dual-stack name with a
 * blackholed IPv6 address and one with every address blackholed. For each: how
 * long the tcp check takes and what it says, what node-postgres does (Node's
 * defaults) and what psql does (connect_timeout=2), measured for real.
 */
export async function benchNetwork(timeoutMs = 2000): Promise<Record<string, unknown>[]> {
  const script = fileURLToPath(new URL('./lab-run.mjs', import.meta.url))
  const hasPsql = spawnSync('sh', ['-c', 'command -v psql']).status === 0
  const hosts = '127.0.0.1 localhost\n2001:db8::10 db.lab.test\n192.0.2.10 db.lab.test\n'
  const scenarios = [
    {scenario: 'healthy dual stack', blackhole: [] as string[]},
    {scenario: 'IPv6 blackholed, IPv4 up', blackhole: ['2001:db8::10']},
    {scenario: 'every address blackholed', blackhole: ['2001:db8::10', '192.0.2.10']},
  ]
  const rows: Record<string, unknown>[] = []
  for (const sc of scenarios) {
    const spec = {
      peers: [
        {kind: 'postgres', host: '192.0.2.10'},
        {kind: 'postgres', host: '2001:db8::10'},
      ],
      checks: {
        ids: ['dns', 'tcp', 'postgres'],
        fields: {host: 'db.lab.test', port: '5432', connect_timeout: '2'},
        timeoutMs,
      },
      pg: {host: 'db.lab.test', connectionTimeoutMillis: 5_000},
      psql: hasPsql
        ? {conninfo: 'host=db.lab.test port=5432 user=lab dbname=lab sslmode=disable connect_timeout=2'}
        : undefined,
    }
    const r = await runInLab({
      addresses: ['192.0.2.10/24', '2001:db8::10/64'],
      blackhole: sc.blackhole,
      hosts,
      resolvConf: '# no nameserver in the lab\n',
      script,
      args: [JSON.stringify(spec)],
      env: {NODE_OPTIONS: ''},
      timeoutMs: 60_000,
    })
    try {
      const out = lastJsonLine<{
        results: {id: string; status: string; code: string | null; durationMs: number}[]
        pg: {ok: boolean; reached: string | null; ms: number; error: string | null}
        psql?: {ok: boolean; reached: string | null; ms: number}
      }>(r.stdout)
      const tcp = out.results.find((x) => x.id === 'tcp')!
      rows.push({
        scenario: sc.scenario,
        'tcp check': tcp.code ?? tcp.status,
        'tcp check ms': tcp.durationMs,
        'node-postgres': out.pg.ok ? `→ ${out.pg.reached}` : out.pg.error,
        'node-postgres ms': out.pg.ms,
        psql: out.psql ? (out.psql.ok ? `→ ${out.psql.reached}` : 'fails') : 'not installed',
        'psql ms': out.psql?.ms ?? null,
      })
    } catch {
      rows.push({scenario: sc.scenario, error: (r.stderr || r.stdout).trim().split('\n').slice(-1)[0]})
    }
  }
  return rows
}

/**
 * The field story's network: db.lab.test has an IPv6 and an IPv4 address (from the lab's
 * /etc/hosts, no nameserver), and every SYN to the IPv6 one is dropped.
 */
export const DEAD_IPV6_LAB = {
  addresses: ['192.0.2.10/24', '2001:db8::10/64'],
  blackhole: ['2001:db8::10'],
  hosts: '127.0.0.1 localhost\n2001:db8::10 db.lab.test\n192.0.2.10 db.lab.test\n',
  resolvConf: '# no nameserver in the lab\n',
} satisfies Partial<LabOptions>
