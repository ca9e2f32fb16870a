export interface ZoneEntry {
  A?: string[]
  AAAA?: string[]
  rcode?: 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED'
  /** Never answers (over UDP or TCP). */
  silent?: true
  /** UDP answers carry the TC bit and no records; TCP answers are complete. */
  truncate?: true
  /** With truncate: the TCP retry is accepted and read, never answered. */
  stallTcp?: true
  /** Random bytes instead of a DNS message, over UDP and TCP. */
  garbage?: true
  /** Answer only the first client (source address:port) that asks for this name; silent to any later one. */
  firstClientOnly?: true
  /** Answer only the first n clients (a direct query is one client per query, a getaddrinfo call one); silent to later ones. */
  answerClients?: number
}

export type Zone = Record<string, ZoneEntry>

export interface RecordedQuery {
  /** Lower-case, no trailing dot. */
  name: string
  type: string
  transport: 'udp' | 'tcp'
}

export interface DnsServer {
  host: string
  port: number
  queries: RecordedQuery[]
  set(name: string, behaviour: ZoneEntry): void
  close(): Promise<void>
}

export function startDnsServer(options?: {host?: string; port?: number; zone?: Zone}): Promise<DnsServer>
