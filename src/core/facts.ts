// Facts that one check establishes and later checks build on. Each check owns
// its slot: the dns check writes `dns`, the tcp check `tcp`, and so on, and
// declares it in its own file (see Facts below). Here: the fact types the probes
// and several checks share.

export type IpFamily = 4 | 6

export interface ResolvedAddress {
  address: string
  family: IpFamily
}

export interface DnsFacts {
  host: string
  /** True when the host is an IP literal (no resolution happened). */
  literal: boolean
  /** Addresses in the order the app (Node's dns.lookup, all: true) gets them. */
  addresses: ResolvedAddress[]
  /** True when the name came from /etc/hosts rather than DNS. */
  fromHostsFile?: boolean
  /**
   * Nameservers that were asked directly ("ip" or "ip:port"), with whether they
   * failed (error: 'servfail' | 'refused' | 'timeout' | 'error') and the rcode seen
   * (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT, ERROR).
   */
  servers?: {server: string; error?: string; rcode?: string}[]
  /** The system lookup's error code when it failed (ENOTFOUND, EAI_AGAIN, ETIMEOUT…). */
  systemError?: string
  /** The fully qualified name the search list turned a short host into, when it did. */
  searchedAs?: string
}

export type TcpOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'reset' | 'error'

export interface TcpAttempt {
  address: string
  family: IpFamily
  port: number
  outcome: TcpOutcome
  ms: number
  errorCode?: string
}

export interface TcpFacts {
  port: number
  attempts: TcpAttempt[]
  /** Addresses that accepted a connection, in the app's order. */
  reachable: ResolvedAddress[]
  /**
   * The address each client ends up connected to (null: it fails), as predicted from these attempts:
   * node-postgres (Node's Happy Eyeballs and DNS order) and libpq (psql: addresses in order).
   */
  clients?: {nodePostgres: string | null; libpq: string | null}
  /** When refused: PostgreSQL-protocol servers answering on other ports of the same addresses, nearest first. */
  nearby?: {address: string; family: IpFamily; port: number; answer: 'S' | 'N'}[]
}

export interface PostgresFacts {
  address: string
  port: number
  /** The one-byte answer to SSLRequest. */
  answer: 'S' | 'N'
  offersTls: boolean
  /**
   * When the name has several addresses that accept on the port: what answers on each (an unauthenticated
   * look, src/probes/pg-identity.ts) and whether they are one server.
   */
  servers?: {
    verdict: 'same' | 'different' | 'unknown'
    /** The address node-postgres reaches, and the other servers' addresses. */
    appAddress: string | null
    others: string[]
  }
}

export interface TlsFacts {
  /** True when the app's config uses TLS (pg `ssl` truthy). */
  used?: boolean
  /** False when the server answered 'N' (or the direct handshake found no TLS). */
  offered?: boolean
  /** True when the app's config verifies the chain (ssl.rejectUnauthorized !== false). */
  verifies?: boolean
  /** Whether the presented chain verifies the way node-postgres will verify it. */
  verifiedAsApp?: boolean
  /**
   * Set when the TLS check predicts the connection will fail (the app verifies and the
   * chain fails, or the handshake itself fails), e.g. TLS_SELF_SIGNED_CHAIN.
   */
  failureCode?: string
  /** Every problem the chain has, whether or not the app's config checks it (first = what Node reports). */
  problems?: string[]
  protocol?: string
  cipher?: string
  /** Which CA store the verdict used: "ssl.ca (sslrootcert ← DATABASE_URL in .env)", "Node's bundled CAs"… */
  trustStore?: string
  /** The presented chain in short. */
  chain?: {subject: string; issuer: string; notAfter: string; selfSigned: boolean}[]
  /** Names the server certificate is valid for. */
  validNames?: string[]
  /** Recognized managed provider id (aws-rds, azure, gcp-cloudsql, aiven, supabase). */
  provider?: string
}

export interface DockerFacts {
  inContainer: boolean
  /** Docker's embedded DNS (nameserver 127.0.0.11) is in resolv.conf. */
  embeddedDns: boolean
  /** What gave the container away: "/.dockerenv", "/run/.containerenv", "cgroup", "mountinfo", "127.0.0.11". */
  signals?: string[]
  /** docker, podman or unknown. */
  runtime?: 'docker' | 'podman' | 'unknown'
}

/**
 * What checks hand to later checks: one typed slot per providing check, each declared in the file of the check
 * that writes it, by declaration merging, e.g. in src/checks/dns.ts:
 *
 *     declare module '../core/facts.js' {
 *       interface Facts {
 *         dns?: DnsFacts
 *       }
 *     }
 *
 * No open slot: a new fact is declared by its check (and in its `provides`, and its readers' `uses`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the slots are merged in by the checks
export interface Facts {}
