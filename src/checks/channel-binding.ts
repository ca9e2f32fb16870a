// The app's channel binding requirement against what the real login was offered (issue 20). postgres.js
// 4.x reads `channel_binding` (its option, the URL's `channel_binding`, else PGCHANNELBINDING; default
// prefer) and with `require` refuses a login the server does not bind (src/startup.js Auth(): a cleartext
// or MD5 password request, SASL without SCRAM-SHA-256-PLUS, AuthenticationOk without SCRAM). postgres.js
// 3.4 does not know the parameter (it goes to the server as a startup parameter, the startup-parameter
// finding's case); node-postgres binds only with its `enableChannelBinding` option and never requires it
// (AUTH_CHANNEL_BINDING_IGNORED: the URL asks for what the driver will not do).
// Pure: the login's authentication request (probes/pg-session.ts) and the resolved settings.
import type {AuthRequest} from '../probes/pg-session.js'
import {versionAtLeast} from '../models/drivers/types.js'
import type {ChannelBindingIgnoredParams, ChannelBindingParams} from '../catalogue/auth.js'

interface BindingInput {
  driver: {name: string | null; version: string} | null
  /** The connection string's query parameters (as parsed for the app), with the string's source label. */
  urlParams: Record<string, string> | null
  urlSource: string | null
  env: Record<string, string | undefined>
  authRequest: AuthRequest | undefined
  /** The login used TLS (SCRAM-SHA-256-PLUS binds to the TLS channel). */
  tls: boolean
}

/** The params of AUTH_CHANNEL_BINDING when the app's driver requires binding and this login cannot give it. */
export function channelBindingRefusal(i: BindingInput): ChannelBindingParams | null {
  if (i.driver?.name !== 'postgres.js' || !versionAtLeast(i.driver.version, '4.0.0') || !i.authRequest) return null
  const fromUrl = i.urlParams?.channel_binding
  const value = fromUrl || i.env.PGCHANNELBINDING || 'prefer'
  if (value !== 'require') return null
  const source = fromUrl ? (i.urlSource ?? 'the connection string') : 'PGCHANNELBINDING'
  const reason = unboundReason(i.authRequest, i.tls)
  if (!reason) return null
  return {reason, source, driverVersion: i.driver.version, mechanisms: i.authRequest.mechanisms, tls: i.tls}
}

/** Why this login cannot be bound; null when it can (SCRAM-SHA-256-PLUS offered over TLS). Pure. */
function unboundReason(req: AuthRequest, tls: boolean): ChannelBindingParams['reason'] | null {
  const {method, mechanisms} = req
  return method === 'md5'
    ? 'md5'
    : method === 'password'
      ? 'cleartext'
      : method === 'none'
        ? 'unbound'
        : !mechanisms.includes('SCRAM-SHA-256-PLUS')
          ? 'not-offered'
          : !tls
            ? 'no-tls'
            : null
}

/**
 * The params of AUTH_CHANNEL_BINDING_IGNORED when the URL (or PGCHANNELBINDING) asks for
 * channel_binding=require and the app's installed driver is node-postgres, which never requires it:
 * pg-connection-string copies `channel_binding` into the config and pg (lib/client.js) never reads it;
 * pg 8.14 and later bind only with the `enableChannelBinding` option, and then only when the server
 * offers SCRAM-SHA-256-PLUS (an unbound login still goes through). `enableChannelBinding`: whether the
 * app's code sets it (read by the caller, only when asked). Pure but for that.
 */
export function channelBindingIgnored(
  i: BindingInput & {enableChannelBinding: () => boolean},
): ChannelBindingIgnoredParams | null {
  const d = i.driver
  if (d?.name !== 'node-postgres' || !i.authRequest) return null
  const fromUrl = i.urlParams?.channel_binding
  const value = fromUrl || i.env.PGCHANNELBINDING
  if (value !== 'require') return null
  const hasOption = versionAtLeast(d.version, '8.14.0')
  return {
    source: fromUrl ? (i.urlSource ?? 'the connection string') : 'PGCHANNELBINDING',
    driverVersion: d.version,
    hasOption,
    enableChannelBinding: hasOption && i.enableChannelBinding(),
    reason: unboundReason(i.authRequest, i.tls),
    mechanisms: i.authRequest.mechanisms,
    tls: i.tls,
  }
}
