// Facts that one check establishes and later checks build on. Each check owns
// its slot: the dns check writes `dns`, the tcp check `tcp`, and so on. Probe
// result types live with the probes; this file only gathers them.

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
  /** Nameservers that were asked directly, with whether they failed. */
  servers?: {server: string; error?: string}[]
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
}

export interface PostgresFacts {
  address: string
  port: number
  /** The one-byte answer to SSLRequest. */
  answer: 'S' | 'N'
  offersTls: boolean
}

export interface TlsFacts {
  /** Whether the presented chain verifies the way node-postgres will verify it. */
  verifiedAsApp?: boolean
  /** Set when the TLS check predicts the connection will fail. */
  failureCode?: string
  protocol?: string
  cipher?: string
}

export interface DockerFacts {
  inContainer: boolean
  embeddedDns: boolean
}

export interface Facts {
  dns?: DnsFacts
  tcp?: TcpFacts
  postgres?: PostgresFacts
  tls?: TlsFacts
  docker?: DockerFacts
  /** Open-ended slot for checks added later (migration state, pooler…). */
  [key: string]: unknown
}
