// How many processes of the app share the server, for the connection budget: --instances, else the
// replicas the Kubernetes manifests in the app's folder declare. Only files db-doctor finds itself,
// bounded: *.yaml / *.yml in the working folder and in a k8s/, kube/, kubernetes/, deploy/, deployment/,
// manifests/ or helm/ subfolder (one level, no symlinked folders), at most MAX_FILES files of at most
// 1 MiB each through the guarded opener; a special file is skipped, never read. Parsed with `yaml`
// (alias expansion capped), never run. A workload counts when it is a Deployment or StatefulSet
// whose containers do not run a database or a pooler (postgres, pgbouncer…); a HorizontalPodAutoscaler
// naming it replaces its replicas with maxReplicas. Helm templates ({{ … }}) do not parse and are skipped.
import fs from 'node:fs'
import path from 'node:path'
import {readGuardedText} from '../core/files.js'
import type {Field} from './field.js'
import {displayPath} from './env.js'

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
    try {
      if (!fs.lstatSync(dir).isDirectory()) continue
    } catch {
      continue
    }
    list(dir)
  }
  return out
}

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
export async function manifestInstances(cwd: string): Promise<(Field<number> & {details: string[]}) | undefined> {
  const workloads: Workload[] = []
  const hpas: {target: string; max: number}[] = []
  for (const file of manifestFiles(cwd)) {
    let text: string
    try {
      if (!fs.statSync(file).isFile()) continue
      text = readGuardedText(file, 'Kubernetes manifest', MAX_BYTES)
    } catch {
      continue
    }
    if (!WORKLOAD.test(text)) continue
    // loaded only when a manifest is there: a separate chunk, off every other run's start-up
    const found = readManifest(await import('yaml'), text, displayPath(cwd, file))
    workloads.push(...found.workloads)
    hpas.push(...found.hpas)
  }
  if (!workloads.length) return undefined
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
  return {
    value: total,
    source: {
      kind: 'kubernetes',
      name: 'replicas',
      file: first.file,
      label: workloads.length === 1 ? details[0]! : `${workloads.length} workloads in ${first.file}…`,
    },
    details,
  }
}
