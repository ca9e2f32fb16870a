// Why a client refuses its ssl settings before connecting, as data: the node-postgres and libpq
// models (config/ssl.ts) and the driver models (models/drivers/) record it; src/catalogue/ssl-config.ts
// words it. A leaf: it imports nothing.
/** Why a client refuses the ssl settings before connecting: an id and its data (src/catalogue/ssl-config.ts words it). */
export type SslRefusal =
  | {id: 'verify-ca-without-ca'}
  | {id: 'direct-without-ssl'}
  | {id: 'invalid-sslmode'; mode: string}
  | {id: 'uri-params'; params: string[]}
  | {id: 'no-root-cert'; mode: string; path: string}
  | {id: 'weak-with-system'; mode: string}
