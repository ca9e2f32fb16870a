// Container detection and docker compose reading. Reads files only; the
// decisions are pure functions over file contents so that tests can feed them.
import {promises as fsp} from 'node:fs'
import {join} from 'node:path'
import type {DockerFacts} from '../core/facts.js'

export interface ContainerPaths {
  dockerenv: string
  containerenv: string
  cgroup: string
  mountinfo: string
  resolvConf: string
}

const DEFAULT_CONTAINER_PATHS: ContainerPaths = {
  dockerenv: '/.dockerenv',
  containerenv: '/run/.containerenv',
  cgroup: '/proc/1/cgroup',
  mountinfo: '/proc/self/mountinfo',
  resolvConf: '/etc/resolv.conf',
}

/** What detection looks at: existence of the marker files and the text of the others ('' when unreadable). */
interface ContainerInputs {
  dockerenv: boolean
  containerenv: boolean
  cgroup: string
  mountinfo: string
  resolvConf: string
}

export const DOCKER_DNS = '127.0.0.11'

export async function readContainerInputs(paths: Partial<ContainerPaths> = {}): Promise<ContainerInputs> {
  const p = {...DEFAULT_CONTAINER_PATHS, ...paths}
  const exists = (f: string) =>
    fsp.access(f).then(
      () => true,
      () => false,
    )
  const text = (f: string) => fsp.readFile(f, 'utf8').catch(() => '')
  const [dockerenv, containerenv, cgroup, mountinfo, resolvConf] = await Promise.all([
    exists(p.dockerenv),
    exists(p.containerenv),
    text(p.cgroup),
    text(p.mountinfo),
    text(p.resolvConf),
  ])
  return {dockerenv, containerenv, cgroup, mountinfo, resolvConf}
}

/** Pure: are we in a container, which runtime, and does Docker's embedded DNS serve us? */
export function detectContainer(inputs: ContainerInputs): DockerFacts & {signals: string[]} {
  const signals: string[] = []
  let runtime: DockerFacts['runtime'] = 'unknown'
  if (inputs.dockerenv) {
    signals.push('/.dockerenv')
    runtime = 'docker'
  }
  if (inputs.containerenv) {
    signals.push('/run/.containerenv')
    if (runtime === 'unknown') runtime = 'podman'
  }
  const cg = inputs.cgroup
  if (/\/docker[/-]|\/libpod[-_]|\/kubepods|\/lxc\/|containerd|\/ecs\//.test(cg)) {
    signals.push('cgroup')
    if (runtime === 'unknown') runtime = /docker/.test(cg) ? 'docker' : /libpod/.test(cg) ? 'podman' : 'unknown'
  }
  // Only the files a runtime bind-mounts INTO a container count: the host's own mount table lists
  // /var/lib/docker/containers/<id>/mounts/shm (and kubelet's pod volumes) for every container it runs.
  const mi = containerFileMounts(inputs.mountinfo)
  if (/\/docker\/containers\/[0-9a-f]{12,}|\/containers\/storage\/overlay-containers\/|\/kubelet\/pods\//.test(mi)) {
    signals.push('mountinfo')
    if (runtime === 'unknown')
      runtime = /docker\/containers/.test(mi) ? 'docker' : /overlay-containers/.test(mi) ? 'podman' : 'unknown'
  }
  const embeddedDns = hasEmbeddedDns(inputs.resolvConf)
  if (embeddedDns) {
    signals.push(DOCKER_DNS)
    if (runtime === 'unknown') runtime = 'docker'
  }
  return {inContainer: signals.length > 0, embeddedDns, signals, runtime}
}

/** The mountinfo roots (field 4) of the mounts at /etc/resolv.conf, /etc/hostname and /etc/hosts (field 5). */
function containerFileMounts(mountinfo: string): string {
  return mountinfo
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => /^\/etc\/(?:resolv\.conf|hostname|hosts)$/.test(f[4] ?? ''))
    .map((f) => f[3])
    .join('\n')
}

function hasEmbeddedDns(resolvConf: string): boolean {
  return resolvConf
    .split('\n')
    .map((l) =>
      l
        .replace(/[#;].*$/, '')
        .trim()
        .split(/\s+/),
    )
    .some(([k, v]) => k === 'nameserver' && v === DOCKER_DNS)
}

// ---------------------------------------------------------------------------
// docker compose files

const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml']

export interface ComposePort {
  /** Host port; undefined when Docker picks one at random. */
  published?: number
  /** Container port. */
  target: number
  /** Host address the port is bound to, when given. */
  hostIp?: string
  raw: string
}

export interface ComposeService {
  name: string
  containerName?: string
  ports: ComposePort[]
}

export interface ComposeFile {
  file: string
  services: ComposeService[]
}

/** Read the compose files present in `dir` (in Compose's own lookup order). */
export async function readComposeFiles(dir: string): Promise<ComposeFile[]> {
  const out: ComposeFile[] = []
  for (const name of COMPOSE_FILES) {
    let text: string
    try {
      text = await fsp.readFile(join(dir, name), 'utf8')
    } catch {
      continue
    }
    out.push({file: name, services: parseComposeServices(text)})
  }
  return out
}

interface Line {
  indent: number
  text: string
}

function lines(text: string): Line[] {
  const out: Line[] = []
  for (const raw of text.replace(/\r/g, '').split('\n')) {
    const noComment = stripComment(raw)
    if (!noComment.trim() || noComment.trim() === '---') continue
    out.push({indent: noComment.length - noComment.trimStart().length, text: noComment.trim()})
  }
  return out
}

function stripComment(line: string): string {
  let quote: string | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      if (c === quote) quote = null
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trimEnd()
  }
  return line.trimEnd()
}

function unquote(s: string): string {
  const t = s.trim()
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1)
  return t
}

/**
 * A focused reader for the part of a compose file db-doctor needs: the keys
 * under `services:`, their `container_name:` and their `ports:` (short syntax,
 * flow lists and long syntax). Not a YAML parser.
 */
export function parseComposeServices(text: string): ComposeService[] {
  const ls = lines(text)
  const services: ComposeService[] = []
  const top = ls.findIndex((l) => l.indent === 0 && /^services\s*:\s*$/.test(l.text))
  if (top < 0) return services
  let i = top + 1
  const serviceIndent = ls[i]?.indent ?? 0
  if (serviceIndent === 0) return services
  while (i < ls.length && ls[i].indent >= serviceIndent) {
    const l = ls[i]
    if (l.indent !== serviceIndent) {
      i++
      continue
    }
    const m = /^("[^"]+"|'[^']+'|[^:\s]+)\s*:/.exec(l.text)
    i++
    if (!m) continue
    const service: ComposeService = {name: unquote(m[1]), ports: []}
    services.push(service)
    // the service body
    const bodyStart = i
    const bodyIndent = ls[bodyStart]?.indent ?? 0
    if (bodyIndent <= serviceIndent) continue
    while (i < ls.length && ls[i].indent > serviceIndent) {
      const b = ls[i]
      if (b.indent !== bodyIndent) {
        i++
        continue
      }
      const kv = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(b.text)
      i++
      if (!kv) continue
      const [, key, value] = kv
      if (key === 'container_name' && value) service.containerName = unquote(value)
      if (key !== 'ports') continue
      if (value.startsWith('[')) {
        const inner = value.replace(/^\[/, '').replace(/\]\s*$/, '')
        for (const item of inner
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          const p = parseShortPort(unquote(item))
          if (p) service.ports.push(...p)
        }
        continue
      }
      // block list
      while (
        i < ls.length &&
        (ls[i].indent > bodyIndent || (ls[i].indent === bodyIndent && ls[i].text.startsWith('-')))
      ) {
        const item = ls[i]
        if (!item.text.startsWith('-')) {
          i++
          continue
        }
        const content = item.text.replace(/^-\s*/, '')
        i++
        if (/^[A-Za-z_]+\s*:/.test(content)) {
          // long syntax: gather this item's keys
          const fields: Record<string, string> = {}
          const addField = (t: string) => {
            const f = /^([A-Za-z_]+)\s*:\s*(.*)$/.exec(t)
            if (f) fields[f[1]] = unquote(f[2])
          }
          addField(content)
          while (i < ls.length && ls[i].indent > item.indent && !ls[i].text.startsWith('-')) {
            addField(ls[i].text)
            i++
          }
          const target = Number(fields.target)
          if (Number.isInteger(target)) {
            const published = fields.published ? Number(String(fields.published).split('-')[0]) : undefined
            service.ports.push({
              target,
              published: Number.isInteger(published) ? published : undefined,
              hostIp: fields.host_ip || undefined,
              raw: `${fields.host_ip ? `${fields.host_ip}:` : ''}${fields.published ?? ''}${fields.published ? ':' : ''}${target}`,
            })
          }
        } else {
          const p = parseShortPort(unquote(content))
          if (p) service.ports.push(...p)
        }
      }
    }
  }
  return services
}

/** "5432", "5433:5432", "127.0.0.1:5433:5432", "[::1]:5433:5432", "5433:5432/tcp", "5000-5001:5000-5001". */
export function parseShortPort(spec: string): ComposePort[] | null {
  const raw = spec.trim()
  const s = raw.replace(/\/(tcp|udp|sctp)$/i, '')
  if (/\/udp$/i.test(raw)) return null
  let hostIp: string | undefined
  let rest = s
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(s)
  if (v6) {
    hostIp = v6[1]
    rest = v6[2]
  }
  const parts = rest.split(':')
  if (!v6 && parts.length === 3) hostIp = parts.shift()
  const range = (t: string) => {
    const [a, b] = t.split('-').map(Number)
    if (!Number.isInteger(a)) return null
    return b !== undefined && Number.isInteger(b) ? [a, b] : [a, a]
  }
  if (parts.length === 1) {
    const t = range(parts[0])
    if (!t) return null
    const out: ComposePort[] = []
    for (let p = t[0]; p <= t[1] && out.length < 100; p++) out.push({target: p, raw})
    return out
  }
  if (parts.length === 2) {
    const t = range(parts[1])
    const h = parts[0] === '' ? null : range(parts[0])
    if (!t) return null
    const out: ComposePort[] = []
    for (let k = 0; t[0] + k <= t[1] && out.length < 100; k++) {
      const published = h ? (h[0] === h[1] ? h[0] : h[0] + k) : undefined
      out.push({target: t[0] + k, published, hostIp: hostIp || undefined, raw})
    }
    return out
  }
  return null
}
