import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const tlsCheck: Check = {
  id: 'tls',
  title: 'TLS certificate chain',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
