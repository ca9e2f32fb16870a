import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const dnsCheck: Check = {
  id: 'dns',
  title: 'Name resolution',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
