// The recipes in docs/kubernetes.md and docs/ci.md cannot rot: every YAML block parses (the
// `yaml` package), and every db-doctor command line in them — container command/args arrays and
// shell scripts alike — goes through the real CLI's flag parser (the built binary, with --list
// appended so that nothing connects anywhere). The ConfigMap's target list goes through the
// --targets parser.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import {parseTargets} from '../../src/fleet/targets.js'
import {runCli} from '../helpers/cli.js'

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url))

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => m[1])
}

/** Minimal shell word splitting: whitespace, single and double quotes. */
function words(segment: string): string[] {
  const out: string[] = []
  for (const m of segment.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g))
    out.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3])
  return out
}

/** The arguments after `db-doctor` (or `db-doctor@version`) in an argv, if it runs db-doctor. */
function afterDbDoctor(argv: string[]): string[] | undefined {
  const i = argv.findIndex((w) => w === 'db-doctor' || w.startsWith('db-doctor@'))
  return i < 0 ? undefined : argv.slice(i + 1)
}

/** Every db-doctor command line in a parsed YAML value. */
function commandLines(value: unknown, found: string[][] = []): string[][] {
  if (Array.isArray(value)) {
    const strings = value.every((v) => typeof v === 'string') ? (value as string[]) : undefined
    const direct = strings && !['sh', 'bash'].includes(strings[0]) ? afterDbDoctor(strings) : undefined
    if (direct) found.push(direct)
    else for (const v of value) commandLines(v, found)
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>
    // A container's command + args form one argv.
    if (Array.isArray(o.command) && Array.isArray(o.args)) commandLines([...o.command, ...o.args], found)
    for (const [k, v] of Object.entries(o)) if (!(k === 'command' && Array.isArray(o.args))) commandLines(v, found)
  } else if (typeof value === 'string' && /\bdb-doctor(@\S+)? [a-z]/.test(value) && !value.trim().startsWith('{')) {
    for (const segment of value.split(/&&|\|\||[;|\n]/)) {
      const args = afterDbDoctor(words(segment))
      if (args && args.length > 0) found.push(args) // not a bare name (container: db-doctor)
    }
  }
  return found
}

function docsOf(file: string) {
  const blocks = yamlBlocks(readFileSync(root(file), 'utf8'))
  const docs = blocks.flatMap((b) => parseAllDocuments(b))
  for (const d of docs) expect(d.errors, String(d.errors[0])).toEqual([])
  return docs.map((d) => d.toJS())
}

describe('docs/kubernetes.md recipes', () => {
  const docs = docsOf('docs/kubernetes.md')

  it('has the initContainer, the ArgoCD PreSync Job and the CronJob with its ConfigMap', () => {
    const kinds = docs.map((d) => d.kind)
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Job', 'CronJob', 'ConfigMap']))
    const deployment = docs.find((d) => d.kind === 'Deployment')
    expect(commandLines(deployment.spec.template.spec.initContainers)[0][0]).toBe('wait')
    const job = docs.find((d) => d.kind === 'Job')
    expect(job.metadata.annotations['argocd.argoproj.io/hook']).toBe('PreSync')
    expect(commandLines(job).map((a) => a[0])).toEqual(['wait', 'check'])
    expect(job.spec.template.spec.containers[0].command.join(' ')).toMatch(
      /db-doctor check --strict &&\s+npx knex migrate:latest/,
    )
  })

  it('the ConfigMap target list parses as a --targets file, with no password in it', () => {
    const cm = docs.find((d) => d.kind === 'ConfigMap')
    const targets = parseTargets(cm.data['targets.jsonl'])
    expect(targets.map((t) => t.name)).toEqual(['orders-primary', 'orders-replica', 'billing'])
    for (const t of targets) expect(t.connection).not.toMatch(/\/\/[^@/]*:[^@/]*@/)
    const cron = docs.find((d) => d.kind === 'CronJob')
    const args = commandLines(cron)[0]
    expect(args).toEqual(expect.arrayContaining(['--targets', '--format', 'jsonl']))
    expect(cron.spec.jobTemplate.spec.template.spec.volumes.find((v: any) => v.secret).secret.defaultMode).toBe(0o600)
  })
})

describe('every db-doctor command line in the docs goes through the CLI flag parser', () => {
  const lines = [...docsOf('docs/kubernetes.md'), ...docsOf('docs/ci.md')].flatMap((d) => commandLines(d))

  it('finds them', () => {
    expect(lines.length).toBeGreaterThanOrEqual(4)
  })

  for (const args of [...docsOf('docs/kubernetes.md'), ...docsOf('docs/ci.md')].flatMap((d) => commandLines(d))) {
    it(`db-doctor ${args.join(' ')}`, async () => {
      // $VARS and $(VARS) a shell or Kubernetes would expand stand for a connection string.
      const argv = args.map((a) => (/^\$\(?\{?[A-Z_]+\}?\)?$/.test(a) ? 'postgres://u@127.0.0.1:1/db' : a))
      const r = await runCli([...argv, '--list'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
    })
  }
})
