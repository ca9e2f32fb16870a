export interface Peer {
  host: string
  port: number
  received?: Buffer[][]
  close(): Promise<void>
}
export function refusingPort(host?: string): Promise<Peer>
export function silentPeer(host?: string): Promise<Peer & {received: Buffer[][]}>
export function closingPeer(host?: string): Promise<Peer>
export function bannerPeer(
  bytes: string | Buffer,
  opts?: {host?: string; afterData?: boolean; keepOpen?: boolean},
): Promise<Peer>
export function httpPeer(host?: string): Promise<Peer>
export function endlessPeer(host?: string): Promise<Peer & {sent(): number}>
export function postgresPeer(answer?: string | Buffer, host?: string): Promise<Peer & {received: Buffer[][]}>
export function errorPacket(message: string, code?: string, severity?: string): Buffer
export function errorResponse(fields: Record<string, string>): Buffer
export function startupErrorPeer(reply: Buffer, host?: string): Promise<Peer>
export const AZURE_SSL_REQUIRED: string
export function sslRequiredPeer(opts?: {
  message?: string
  code?: string
  host?: string
  tls?: {certPem: string; keyPem: string}
}): Promise<Peer & {received: Buffer[][]}>
