// docs/prometheus.md and docs/prometheus/rules.yml: the metric tables are the generated ones, the
// Kubernetes manifests parse and fit together (and the Deployment's flags are serve's), the scrape config
// passes the real `promtool check config`, and the shipped alerting rules pass `promtool check rules` and
// their unit tests (`promtool test rules`).
// Regenerate the tables: DB_DOCTOR_UPDATE_DOCS=1 npx vitest run test/serve/docs.test.ts
import {copyFileSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'
import {describe, expect, it} from 'vitest'
import Serve from '../../src/commands/serve.js'
import {PROBE_METRICS, SERVE_METRICS} from '../../src/catalogue/metrics.js'
import {renderMetricsDocs} from '../../src/reporters/metrics.js'
import {ROOT} from '../helpers/cli.js'
import {prometheusSupport, promtool, readableDir} from '../helpers/prometheus.js'

const DOC = path.join(ROOT, 'docs', 'prometheus.md')
const text = readFileSync(DOC, 'utf8')
const yamlBlocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
const manifests = yamlBlocks.flatMap((b) => parseAllDocuments(b).map((d) => d.toJS() as Record<string, any>))
const ofKind = (kind: string) => manifests.filter((m) => m?.kind === kind)

describe('docs/prometheus.md', () => {
  it('the metric tables are generated from src/catalogue/metrics.ts', () => {
    const generated = renderMetricsDocs(text)
    if (process.env.DB_DOCTOR_UPDATE_DOCS === '1' && generated !== text) writeFileSync(DOC, generated)
    else expect(text).toBe(generated)
  })

  it('every metric the docs, the rules and the rule tests name is one of the list (one source)', () => {
    const defined = new Set<string>([...PROBE_METRICS, ...SERVE_METRICS].map((m) => m.name))
    const labels = new Map<string, readonly string[]>(
      [...PROBE_METRICS, ...SERVE_METRICS].map((m) => [m.name, m.labels]),
    )
    for (const file of ['docs/prometheus.md', 'docs/prometheus/rules.yml', 'docs/prometheus/rules.test.yml']) {
      const body = readFileSync(path.join(ROOT, file), 'utf8')
      for (const [, name] of body.matchAll(/\b(db_doctor_[a-z0-9_]*[a-z0-9])\b/g)) {
        const base = name!.replace(/_total$/, '')
        expect(defined.has(base), `${file}: ${name}`).toBe(true)
      }
      // a selector's labels are the metric's (plus job and instance from the scrape, target in a fleet run)
      for (const [, name, sel] of body.matchAll(/\b(db_doctor_[a-z0-9_]*[a-z0-9])\{([^}]*)\}/g)) {
        for (const [, label] of sel!.matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g))
          expect(
            [...(labels.get(name!.replace(/_total$/, '')) ?? []), 'job', 'instance', 'target'],
            `${file}: ${name}{${sel}}`,
          ).toContain(label)
      }
    }
  })

  it('every YAML block parses; the manifests fit together', () => {
    for (const b of yamlBlocks) for (const d of parseAllDocuments(b)) expect(d.errors).toEqual([])
    const [secret] = ofKind('Secret')
    const [deployment] = ofKind('Deployment')
    const [service] = ofKind('Service')
    const [monitor] = ofKind('ServiceMonitor')
    expect(secret && deployment && service && monitor).toBeTruthy()
    // the targets file in the Secret is what serve reads: JSON lines with names
    const names = (secret!.stringData['targets.jsonl'] as string)
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as {name: string}).name)
    expect(names).toEqual(['orders', 'billing'])
    const pod = deployment!.spec.template
    expect(deployment!.spec.selector.matchLabels).toEqual(pod.metadata.labels)
    expect(service!.spec.selector).toEqual(pod.metadata.labels)
    const container = pod.spec.containers[0]
    const args: string[] = container.args
    expect(args[0]).toBe('serve')
    for (const a of args.filter((x) => x.startsWith('--'))) expect(Object.keys(Serve.flags)).toContain(a.slice(2))
    const targetsPath = args[args.indexOf('--targets') + 1]!
    const mount = container.volumeMounts.find((v: any) => targetsPath.startsWith(v.mountPath + '/'))
    expect(pod.spec.volumes.find((v: any) => v.name === mount.name).secret.secretName).toBe(secret!.metadata.name)
    const port = container.ports[0]
    expect(args[args.indexOf('--listen') + 1]).toBe(`:${port.containerPort}`)
    expect(container.livenessProbe.httpGet.path).toBe('/-/healthy')
    expect(service!.spec.ports[0].targetPort).toBe(port.name)
    // the ServiceMonitor: the prober's own metrics, then one /probe endpoint per target of the Secret
    expect(monitor!.spec.selector.matchLabels).toEqual(service!.metadata.labels)
    const probes = monitor!.spec.endpoints.filter((e: any) => e.path === '/probe')
    expect(probes.map((e: any) => e.params.target[0])).toEqual(names)
    expect(monitor!.spec.endpoints.some((e: any) => e.path === '/metrics')).toBe(true)
    // the scrape config's static targets are names too
    const scrape = manifests.find((m) => m?.scrape_configs)!
    expect(scrape.scrape_configs[0].static_configs[0].targets).toEqual(names)
  })
})

const prom = prometheusSupport()

describe.skipIf(!prom.ok)('promtool on the shipped configuration and rules', () => {
  it('promtool check config on the scrape config; check rules and test rules on rules.yml', async () => {
    const dir = readableDir('dbd-promdocs-')
    const scrape = yamlBlocks.find((b) => b.includes('scrape_configs:'))!
    writeFileSync(path.join(dir, 'prometheus.yml'), `${scrape}rule_files: [rules.yml]\n`)
    for (const f of ['rules.yml', 'rules.test.yml'])
      copyFileSync(path.join(ROOT, 'docs', 'prometheus', f), path.join(dir, f))
    const config = await promtool(['check', 'config', path.join(dir, 'prometheus.yml')])
    expect(config.code, config.stdout + config.stderr).toBe(0)
    const rules = await promtool(['check', 'rules', path.join(dir, 'rules.yml')])
    expect(rules.code, rules.stdout + rules.stderr).toBe(0)
    expect(rules.stdout).toContain('SUCCESS: 10 rules found')
    const tested = await promtool(['test', 'rules', path.join(dir, 'rules.test.yml')])
    expect(tested.code, tested.stdout + tested.stderr).toBe(0)
  })
})
