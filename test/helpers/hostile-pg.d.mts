export declare const HOSTILE_SCENARIOS: string[]
export declare function hostilePg(
  scenario: string,
  host?: string,
  opts?: {tls?: {key: string; cert: string}},
): Promise<{host: string; port: number; url: string; close: () => Promise<void>}>
