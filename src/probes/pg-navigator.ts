// Evaluated right before node-postgres (pg-load.ts imports it first). On load, pg asks "am I in a
// Cloudflare Worker?": when `navigator` is missing (Node 20) it builds a `new Response()`, which loads
// undici, about 20 ms of a 200 ms run. Node >= 21 defines `navigator.userAgent` ('Node.js/21'); for the
// length of pg's load only, pg sees the same here. pg-load.ts removes the global again.
const g = globalThis as {navigator?: unknown}

/** Whether the global was added here (and must be removed once pg is loaded). */
export const navigatorAdded = g.navigator === undefined
if (navigatorAdded)
  Object.defineProperty(g, 'navigator', {value: {userAgent: 'Node.js'}, configurable: true, writable: true})
