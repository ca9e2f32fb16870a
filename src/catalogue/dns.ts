// Codes of the `dns` check.
import {define} from './types.js'

export const dnsEntries = [
  define({
    code: 'DNS_NOT_FOUND',
    check: 'dns',
    status: 'fail',
    title: 'Host name does not exist',
    meaning:
      'The name does not exist (NXDOMAIN / `ENOTFOUND`, "Name or service not known"): a typo, a stale endpoint after a rebuild or restore (RDS, an SSH tunnel target), or a private zone not visible from here.',
    causes: [
      'a typo in the host',
      'a stale endpoint after a rebuild, restore or rename (RDS, Cloud SQL, Neon branch)',
      'a private zone (VPC, VPN, compose network) not visible from where this runs',
    ],
    fix: 'Fix the host in the variable or file named, or run where the private zone resolves (VPN, VPC).',
    // A compose service not yet started, or a Kubernetes headless Service with no ready pod, is
    // NXDOMAIN until the database comes up: `wait` keeps trying (a typo then runs to --deadline,
    // and the final report still says DNS_NOT_FOUND).
    transient: true,
    matchers: [
      'ENOTFOUND',
      'Name or service not known',
      'nodename nor servname provided',
      'No such host is known',
      {re: /could not translate host name "[^"]{0,300}" to address: (?:Name or service not known|nodename nor servname|No address associated|Unknown host|No such host)/i, needle: 'could not translate host name'},
      'NXDOMAIN',
    ],
    examples: [
      {source: 'node', text: 'Error: getaddrinfo ENOTFOUND db.example.invalid\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26) { errno: -3008, code: \'ENOTFOUND\', syscall: \'getaddrinfo\', hostname: \'db.example.invalid\' }'},
      {source: 'libpq', text: 'psql: error: could not translate host name "db.example.invalid" to address: Name or service not known'},
      {source: 'aws-rds', text: 'psql: error: could not translate host name "mydb.c9akciq32.us-east-1.rds.amazonaws.com" to address: Name or service not known'},
    ],
  }),
  define({
    code: 'DNS_TEMPORARY_FAILURE',
    check: 'dns',
    status: 'fail',
    title: 'Nameserver failed',
    meaning: 'The nameserver named in the report failed (SERVFAIL, REFUSED, `EAI_AGAIN`).',
    causes: [
      'the resolver in /etc/resolv.conf is down or refuses this client',
      'a VPN or corporate DNS that lost its upstream',
      'DNSSEC or upstream failure for this zone (SERVFAIL)',
    ],
    fix: 'Fix or replace that resolver, reconnect the VPN, compare with `--dns-server`.',
    transient: true,
    matchers: ['EAI_AGAIN', 'Temporary failure in name resolution', 'SERVFAIL', 'ESERVFAIL'],
    examples: [
      {source: 'node', text: 'Error: getaddrinfo EAI_AGAIN db.internal.example\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:120:26)'},
      {source: 'libpq', text: 'psql: error: could not translate host name "db.internal.example" to address: Temporary failure in name resolution'},
    ],
  }),
  define({
    code: 'DNS_TIMEOUT',
    check: 'dns',
    status: 'fail',
    title: 'Nameserver did not answer',
    meaning: 'The nameserver named in the report did not answer within `--timeout`.',
    causes: ['UDP/TCP 53 blocked by a firewall or VPN split tunnel', 'a dead nameserver still listed in /etc/resolv.conf'],
    fix: 'Open UDP/TCP 53 to it (firewall, VPN split tunnel) or fix `/etc/resolv.conf`.',
    transient: true,
    matchers: ['ETIMEOUT'],
    examples: [
      {source: 'node', text: 'Error: queryA ETIMEOUT db.example.com\n    at QueryReqWrap.onresolve [as oncomplete] (node:internal/dns/promises:291:17)'},
    ],
  }),
  define({
    code: 'DNS_IPV6_ONLY',
    check: 'dns',
    status: 'warn',
    statusText: 'warn (fail when this machine has no IPv6 at all)',
    title: 'Host has IPv6 addresses only',
    meaning:
      'The host has AAAA records only: IPv4-only networks (many CI runners, Docker\'s default bridge) cannot reach it — Supabase direct hosts, for example.',
    causes: [
      "a Supabase direct host (db.<ref>.supabase.co) used from an IPv4-only network",
      'an IPv6-only endpoint used from a CI runner or Docker bridge without IPv6',
    ],
    fix: "Use an IPv4 endpoint; for Supabase the pooler string copied from the project's Connect dialog (host `aws-<N>-<region>.pooler.supabase.com`, number and region your project's own; user `postgres.<ref>`; port 5432 session mode, 6543 transaction mode), or the IPv4 add-on.",
    transient: false,
    matchers: [
      {re: /\bENETUNREACH [0-9a-f]{1,4}:[0-9a-f:]{2,40}/i, needle: 'enetunreach'},
      {re: /Network is unreachable[^\n]{0,200}\b(?:supabase\.co|[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f:]{2,40})/i, needle: 'network is unreachable'},
      {re: /\(\s?[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f:]{2,40}\s?\), port \d{1,5} failed: Network is unreachable/i, needle: 'network is unreachable'},
    ],
    examples: [
      {source: 'supabase', text: 'Error: connect ENETUNREACH 2406:da18:243:7412:3b2a:9b3e:8c45:4a2b:5432 - Local (:::0)'},
      {source: 'libpq', text: 'psql: error: connection to server at "db.abcdefghijklmnop.supabase.co" (2406:da18:243:7412:3b2a:9b3e:8c45:4a2b), port 5432 failed: Network is unreachable'},
    ],
  }),
  define({
    code: 'DNS_RESOLVERS_DISAGREE',
    check: 'dns',
    status: 'warn',
    statusText: 'warn (fail when only DNS knows the name)',
    title: 'System lookup and DNS disagree',
    meaning:
      "The app's lookup (`/etc/hosts`, nsswitch) and DNS give different answers: a hosts-file override, split-horizon DNS, a stale cache.",
    causes: ['a stale /etc/hosts line', 'split-horizon DNS (VPN vs public answers)', 'a stale local cache (nscd, systemd-resolved)'],
    fix: 'Remove the stale hosts line or flush the cache; run db-doctor where the app runs.',
    transient: false,
    matchers: [],
    examples: [{source: 'db-doctor', text: '! Name resolution DNS_RESOLVERS_DISAGREE (12 ms)'}],
  }),
]
