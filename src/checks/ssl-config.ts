import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const sslConfigCheck: Check = {
  id: 'ssl-config',
  title: 'SSL settings (node-postgres vs libpq)',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
