import type {Check} from '../core/types.js'

// Placeholder: replaced by the real check.
export const dockerCheck: Check = {
  id: 'docker',
  title: 'Docker networking',
  requires: [],
  async run() {
    return {status: 'skip', code: null, summary: 'Not implemented yet.', evidence: {}, fix: null}
  },
}
