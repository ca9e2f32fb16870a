// Runs inside a lab namespace (see netns.ts): starts the fault-lab DNS servers
// described in the spec, then runs the dns (and optionally docker) check from
// the TypeScript sources through the real runner, with the real system
// resolver (getaddrinfo reading the lab's /etc/resolv.conf and /etc/hosts).
// argv[2]: JSON spec
//   {servers: [{host, port, zone}], host, port?, dnsServers?, timeoutMs, checks: ['dns','docker'],
//    dockerPaths?: {...}, cwd?}
// Prints one JSON line: {results: [...], facts, ms}.
import {writeFileSync} from 'node:fs'
import {createJiti} from 'jiti'
import {startDnsServer} from './dns-server.mjs'

const spec = JSON.parse(process.argv[2])
const jiti = createJiti(import.meta.url)
const {createDnsCheck} = await jiti.import('../../src/checks/dns.ts')
const {createDockerCheck} = await jiti.import('../../src/checks/docker.ts')
const {runChecks} = await jiti.import('../../src/core/runner.ts')

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
if ((spec.checks ?? ['dns']).includes('dns')) registry.push(createDnsCheck(spec.isolated ? {lookup: isolatedLookup} : {}))
if ((spec.checks ?? []).includes('docker')) registry.push(createDockerCheck({paths: spec.dockerPaths}))

const started = performance.now()
const results = await runChecks(registry, ctx)
const ms = Math.round(performance.now() - started)
console.log(JSON.stringify({results, facts: ctx.facts, ms, queries: servers.flatMap((s) => s.queries)}))
// dns.lookup may still be running in the threadpool against a silent server: do not wait for it
process.exit(0)
