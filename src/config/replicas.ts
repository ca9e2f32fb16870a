// How many processes of the app share the server, for the connection budget: --instances, else the
// replicas the Kubernetes manifests in the app's folder declare. Only files db-doctor finds itself,
// bounded: *.yaml / *.yml in the working folder and in a k8s/, kube/, kubernetes/, deploy/, deployment/,
// manifests/ or helm/ subfolder (one level, no symlinked folders), at most MAX_FILES files of at most
// 1 MiB each through the guarded opener; a special file is skipped, never read. Parsed with `yaml`
// (alias expansion capped), never run. A workload counts when it is a Deployment or StatefulSet
// whose containers do not run a database or a pooler (postgres, pgbouncer…); a HorizontalPodAutoscaler
// naming it replaces its replicas with maxReplicas. Helm charts are not rendered: a workload in a template
// ({{ … }}, also the templates/ of a chart folder: one with a Chart.yaml) is not counted, and its replicas
// expression is returned as not modelled (the budget's evidence shows it) instead of a guess.
import fs from 'node:fs'
import path from 'node:path'
import {readGuardedText} from '../core/files.js'
import type {Field} from './field.js'
import {displayPath} from './env.js'
import {loadYaml} from '../core/yaml.js'

const FOLDERS = ['k8s', 'kube', 'kubernetes', 'deploy', 'deployment', 'manifests', 'helm']
const MAX_FILES = 40
const MAX_BYTES = 1024 * 1024
/** Images that are the database or a pooler beside the app, not the app. */
const NOT_THE_APP =
  /(?:^|[/:])(?:postgres|postgresql|postgis|timescaledb|pgbouncer|pgpool|supavisor|odyssey|pgcat)(?:[:@]|$)/i

/** A text that may declare a workload: `kind: Deployment`, `StatefulSet` or `List`. */
const WORKLOAD = /^\s*-?\s*kind\s*:\s*["']?(?:Deployment|StatefulSet|List)\b/m

interface Workload {
  kind: 'Deployment' | 'StatefulSet'
  name: string
  replicas: number
  /** "replicas: 3", "replicas not set (1)", "HorizontalPodAutoscaler web maxReplicas: 10" */
  from: 'replicas' | 'default' | 'hpa'
  file: string
}

/** A Deployment or StatefulSet in a Helm template: its replicas expression, not rendered ("" when the template sets none). */
interface TemplatedWorkload {
  file: string
  replicas: string
}

const isDir = (p: string): boolean => {
  try {
    return fs.lstatSync(p).isDirectory()
  } catch {
    return false
  }
}

/** The templates/ folders of the Helm charts here: the working folder, or a chart one level under it or a FOLDERS entry. */
function chartTemplateDirs(cwd: string): string[] {
  const out: string[] = []
  const chart = (dir: string) => {
    if (fs.existsSync(path.join(dir, 'Chart.yaml')) && isDir(path.join(dir, 'templates')))
      out.push(path.join(dir, 'templates'))
  }
  chart(cwd)
  for (const f of [...FOLDERS, 'charts']) {
    const dir = path.join(cwd, f)
    if (!isDir(dir)) continue
    chart(dir)
    let names: string[]
    try {
      names = fs.readdirSync(dir).sort().slice(0, 20)
    } catch {
      continue
    }
    for (const n of names) if (isDir(path.join(dir, n))) chart(path.join(dir, n))
  }
  return out
}

function manifestFiles(cwd: string): string[] {
  const out: string[] = []
  const list = (dir: string): void => {
    let names: string[]
    try {
      names = fs.readdirSync(dir).sort()
    } catch {
      return
    }
    for (const n of names) {
      if (out.length >= MAX_FILES) return
      if (/\.ya?ml$/i.test(n) && !/^(?:docker-)?compose|^\.|^pnpm-lock|^\.github/i.test(n)) out.push(path.join(dir, n))
    }
  }
  list(cwd)
  for (const f of FOLDERS) {
    const dir = path.join(cwd, f)
    if (isDir(dir)) list(dir)
  }
  for (const dir of chartTemplateDirs(cwd)) if (!out.some((f) => path.dirname(f) === dir)) list(dir)
  return out
}

/** `replicas: {{ … }}` of a templated workload, bounded (the expression as written, at most 200 characters). */
const TEMPLATED_REPLICAS = /^[ \t]*replicas[ \t]*:[ \t]*(\{\{[^\n]{0,200}?\}\})/m

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

function images(spec: Record<string, unknown>): string[] {
  const pod = obj(obj(obj(spec.template).spec))
  const containers = Array.isArray(pod.containers) ? pod.containers : []
  return containers.map((c) => String(obj(c).image ?? ''))
}

/** The workloads and autoscalers of one manifest text (pure). */
function readManifest(
  yaml: typeof import('yaml'),
  text: string,
  file: string,
): {workloads: Workload[]; hpas: {target: string; max: number}[]} {
  const workloads: Workload[] = []
  const hpas: {target: string; max: number}[] = []
  let docs
  try {
    docs = yaml.parseAllDocuments(text)
  } catch {
    return {workloads, hpas}
  }
  const all = Array.isArray(docs) ? docs : [docs]
  for (const doc of all.slice(0, 200)) {
    if (doc.errors?.length) continue
    let v: unknown
    try {
      v = doc.toJS({maxAliasCount: 50})
    } catch {
      continue
    }
    const items = obj(v).kind === 'List' && Array.isArray(obj(v).items) ? (obj(v).items as unknown[]) : [v]
    for (const item of items) {
      const o = obj(item)
      const name = String(obj(o.metadata).name ?? '')
      const spec = obj(o.spec)
      if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
        if (images(spec).some((i) => NOT_THE_APP.test(i))) continue
        const r = spec.replicas
        const replicas = typeof r === 'number' && Number.isInteger(r) && r >= 0 && r < 100_000 ? r : undefined
        workloads.push({
          kind: o.kind,
          name,
          replicas: replicas ?? 1,
          from: replicas === undefined ? 'default' : 'replicas',
          file,
        })
      } else if (o.kind === 'HorizontalPodAutoscaler') {
        const max = spec.maxReplicas
        const target = String(obj(spec.scaleTargetRef).name ?? '')
        if (typeof max === 'number' && Number.isInteger(max) && max > 0 && max < 100_000 && target)
          hpas.push({target, max})
      }
    }
  }
  return {workloads, hpas}
}

/**
 * The instances the manifests in `cwd` declare: the sum over the app's Deployments and StatefulSets
 * (each at its HPA's maxReplicas when one names it), or undefined when there is none.
 */
export async function manifestInstances(
  cwd: string,
): Promise<{instances?: Field<number> & {details: string[]}; templated: TemplatedWorkload[]}> {
  const workloads: Workload[] = []
  const hpas: {target: string; max: number}[] = []
  const templated: TemplatedWorkload[] = []
  for (const file of manifestFiles(cwd)) {
    let text: string
    try {
      if (!fs.statSync(file).isFile()) continue
      text = readGuardedText(file, 'Kubernetes manifest', MAX_BYTES)
    } catch {
      continue
    }
    if (!WORKLOAD.test(text)) continue
    // a Helm template: never rendered, so its replicas are not counted, and said so
    if (text.includes('{{')) {
      if (/^\s*-?\s*kind\s*:\s*["']?(?:Deployment|StatefulSet)\b/m.test(text))
        templated.push({file: displayPath(cwd, file), replicas: TEMPLATED_REPLICAS.exec(text)?.[1] ?? ''})
      continue
    }
    // loaded only when a manifest is there: a separate chunk, off every other run's start-up
    const found = readManifest(await loadYaml(), text, displayPath(cwd, file))
    workloads.push(...found.workloads)
    hpas.push(...found.hpas)
  }
  if (!workloads.length) return {templated}
  for (const w of workloads) {
    const hpa = hpas.find((h) => h.target === w.name)
    if (hpa) Object.assign(w, {replicas: hpa.max, from: 'hpa'})
  }
  const total = workloads.reduce((n, w) => n + w.replicas, 0)
  const details = workloads.map(
    (w) =>
      `${w.file} ${w.kind} ${w.name}: ${w.from === 'hpa' ? `HorizontalPodAutoscaler maxReplicas ${w.replicas}` : w.from === 'default' ? 'replicas unset (1)' : `replicas ${w.replicas}`}`,
  )
  const first = workloads[0]!
  const instances: Field<number> & {details: string[]} = {
    value: total,
    source: {
      kind: 'kubernetes',
      name: 'replicas',
      file: first.file,
      label: workloads.length === 1 ? details[0]! : `${workloads.length} workloads in ${first.file}…`,
    },
    details,
  }
  return {instances, templated}
}
