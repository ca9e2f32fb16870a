import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const configCheck: Check = {
  id: 'config',
  title: 'Configuration',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
