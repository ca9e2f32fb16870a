// The app's channel binding requirement against what the real login was offered (issue 20). postgres.js
// 4.x reads `channel_binding` (its option, the URL's `channel_binding`, else PGCHANNELBINDING; default
// prefer) and with `require` refuses a login the server does not bind (src/startup.js Auth(): a cleartext
// or MD5 password request, SASL without SCRAM-SHA-256-PLUS, AuthenticationOk without SCRAM). postgres.js
// 3.4 does not know the parameter (it goes to the server as a startup parameter, the startup-parameter
// finding's case); node-postgres binds only with its `enableChannelBinding` option and never requires it.
// Pure: the login's authentication request (probes/pg-session.ts) and the resolved settings.
import type {AuthRequest} from '../probes/pg-session.js'
import {versionAtLeast} from '../models/drivers/types.js'
import type {ChannelBindingParams} from '../catalogue/auth.js'

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
  const {method, mechanisms} = i.authRequest
  const plus = mechanisms.includes('SCRAM-SHA-256-PLUS')
  const reason: ChannelBindingParams['reason'] | null =
    method === 'md5'
      ? 'md5'
      : method === 'password'
        ? 'cleartext'
        : method === 'none'
          ? 'unbound'
          : !plus
            ? 'not-offered'
            : !i.tls
              ? 'no-tls'
              : null
  if (!reason) return null
  return {reason, source, driverVersion: i.driver.version, mechanisms, tls: i.tls}
}
