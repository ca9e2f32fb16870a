import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const postgresCheck: Check = {
  id: 'postgres',
  title: 'PostgreSQL protocol',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
