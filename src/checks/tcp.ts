import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const tcpCheck: Check = {
  id: 'tcp',
  title: 'TCP reachability',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
