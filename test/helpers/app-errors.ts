// What the app's own node-postgres throws for a config, printed the way an app's crash log shows it
// (the stack, then the error's code as util.inspect appends it): real messages for explain's tests.
import pg from 'pg'

/** The crash text of an error as an app prints it. */
export function crashText(error: unknown): string {
  const e = error as Error & {code?: string}
  return `${e.stack}\n{ code: '${e.code ?? ''}' }`
}

/** Connect with node-postgres (bounded), end at once; 'connected', or the crash text of the error. */
export async function pgConnectError(config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client({connectionTimeoutMillis: 5000, ...config})
  client.on('error', () => {})
  try {
    await client.connect()
    await client.end()
    return 'connected'
  } catch (error) {
    return crashText(error)
  }
}
