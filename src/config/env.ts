// Placeholder: loads the env file (dotenv semantics: the process wins).
export interface LoadedEnv {
  env: Record<string, string | undefined>
  /** The env file that supplied a variable (only when the process did not set it). */
  envFileOf: (name: string) => string | undefined
  /** The env file read, relative to cwd when inside it; undefined when none. */
  file?: string
}

export class EnvFileError extends Error {}

export function loadEnv(opts: {cwd: string; envFile?: string; processEnv: NodeJS.ProcessEnv}): LoadedEnv {
  return {env: {...opts.processEnv}, envFileOf: () => undefined}
}
