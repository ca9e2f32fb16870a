// Runs inside a lab namespace (see netns.ts): starts the fault-lab DNS servers
// described in the spec, then runs the dns (and optionally docker) check from
// the TypeScript sources through the real runner, with the real system
// resolver (getaddrinfo reading the lab's /etc/resolv.conf and /etc/hosts).
// argv[2]: JSON spec
//   {servers: [{host, port, zone}], host, port?, dnsServers?, timeoutMs, checks: ['dns','docker'],
//    dockerPaths?: {...}, cwd?, isolated?: always the child lookup, nsswitch?: nsswitch.conf text for the check}
// Prints one JSON line: {results: [...], facts, ms}.
import {writeFileSync} from 'node:fs'
import {createJiti} from 'jiti'
import {startDnsServer} from './dns-server.mjs'

const spec = JSON.parse(process.argv[2])
const jiti = createJiti(import.meta.url)
const {createDnsCheck} = await jiti.import('../../src/checks/dns.ts')
const {createDockerCheck} = await jiti.import('../../src/checks/docker.ts')
const {runChecks} = await jiti.import('../helpers/run-checks.ts')

// Like Docker's default bridge without IPv6: not even a link-local address.
if (spec.disableIpv6) {
  for (const f of ['all', 'default', 'v0', 'v1']) {
    try {
      writeFileSync(`/proc/sys/net/ipv6/conf/${f}/disable_ipv6`, '1')
    } catch {}
  }
}

const servers = []
for (const s of spec.servers ?? []) servers.push(await startDnsServer(s))

const source = {kind: 'env', name: 'DATABASE_URL', label: 'DATABASE_URL (environment)'}
const fields = {host: {value: spec.host, source}}
if (spec.port) fields.port = {value: String(spec.port), source}
const ctx = {
  config: {fields, primary: source, shadowed: [], problems: [], notFound: false},
  env: {},
  cwd: spec.cwd ?? process.cwd(),
  options: {timeoutMs: spec.timeoutMs, verbose: false, dnsServers: spec.dnsServers ?? []},
  facts: {},
}
const registry = []
const {isolatedLookup} = await jiti.import('../../src/probes/dns.ts')
let nsswitchPath
if (spec.nsswitch !== undefined) {
  const {mkdtempSync} = await import('node:fs')
  const {tmpdir} = await import('node:os')
  nsswitchPath = `${mkdtempSync(`${tmpdir()}/dbd-nss-`)}/nsswitch.conf`
  writeFileSync(nsswitchPath, spec.nsswitch)
}
if ((spec.checks ?? ['dns']).includes('dns'))
  registry.push(createDnsCheck(spec.isolated ? {lookup: isolatedLookup} : {nsswitchPath}))
if ((spec.checks ?? []).includes('docker')) registry.push(createDockerCheck({paths: spec.dockerPaths}))

const started = performance.now()
const results = await runChecks(registry, ctx)
const ms = Math.round(performance.now() - started)
console.log(JSON.stringify({results, facts: ctx.facts, ms, queries: servers.flatMap((s) => s.queries)}))
if (nsswitchPath) (await import('node:fs')).rmSync(nsswitchPath.replace(/\/nsswitch\.conf$/, ''), {recursive: true})
// dns.lookup may still be running in the threadpool against a silent server: do not wait for it
process.exit(0)
