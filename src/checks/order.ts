// The checks' ids in the order they run, derived from the one list of checks: CHECKS in src/catalogue/order.ts,
// which sits below the checks so that explain has every catalogue entry and the order without loading a check.
// The registry (index.ts) is built from CHECK_IDS; explain derives its confirm lines from it.
import {CHECKS} from '../catalogue/order.js'

export type CheckId = (typeof CHECKS)[number]['id']

export const CHECK_IDS: readonly CheckId[] = CHECKS.map((c) => c.id)
