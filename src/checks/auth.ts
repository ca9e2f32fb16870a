import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const authCheck: Check = {
  id: 'auth',
  title: 'Authentication and session',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
