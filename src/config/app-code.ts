// App files are untrusted code (a knexfile, prisma.config.ts): while db-doctor loads one, what
// that code does must not take the process over. guardAppCode(file, budget, fn):
// - a promise that never settles (the module, its exported function, a `connection` function)
//   ends the load after the budget (--timeout) with an error, instead of Node exiting 13 with no
//   output or waiting forever;
// - an exception thrown or a promise rejected asynchronously while loading fails the load with
//   that error (the caller shows its first line, redacted) instead of Node's fatal handler, which
//   prints the file's source line — password included — and exits 1;
// - process.exit(n) while loading fails the load; later, a timer the file left behind cannot
//   exit either (the call is ignored with a one-line notice): db-doctor's exit code stays its own;
// - after loading, a late asynchronous throw or rejection from the file prints one redacted line
//   on stderr and the run goes on.
// Not covered (in-process): a synchronous endless loop in the file. Loading in a child process
// would cover it at ~60 ms per run and lose functions and buffers in the configuration.
import {redact} from '../core/redact.js'
import {inertLine} from '../reporters/escape.js'

class AppCodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AppCodeError'
  }
}

const appFiles = new Set<string>()
let realExit: typeof process.exit | undefined
let lateHandlersInstalled = false
let loading: {reject: (e: unknown) => void} | undefined

function fromAppFile(stack: string | undefined): boolean {
  if (!stack) return false
  for (const f of appFiles) if (stack.includes(f)) return true
  return false
}

function notice(text: string): void {
  process.stderr.write(inertLine(redact(`db-doctor: ${text}`)) + '\n')
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e)
  return String(m).split('\n')[0] ?? ''
}

function install(): void {
  if (!realExit) {
    realExit = process.exit
    const guarded = ((code?: number | string | null) => {
      const stack = new Error().stack
      if (loading) {
        const err = new AppCodeError(`it called process.exit(${code ?? ''}) while loading`)
        loading.reject(err)
        throw err
      }
      if (fromAppFile(stack)) {
        notice(`ignored process.exit(${code ?? ''}) from an app file; db-doctor sets its own exit code`)
        return undefined as never
      }
      return realExit!.call(process, code as number)
    }) as typeof process.exit
    process.exit = guarded
  }
  if (!lateHandlersInstalled) {
    lateHandlersInstalled = true
    process.on('uncaughtException', (e) => {
      if (loading) return loading.reject(e)
      if (process.listenerCount('uncaughtException') > 1) return // someone else handles it (the pg probe)
      // Only what came from the app file's code is swallowed; anything else is db-doctor's crash.
      if (fromAppFile((e as Error)?.stack)) return notice(`an app file threw after loading (ignored): ${firstLine(e)}`)
      notice(`internal error: ${firstLine(e)}`)
      process.exitCode = 2
      realExit!.call(process, 2)
    })
    process.on('unhandledRejection', (e) => {
      if (loading) return loading.reject(e)
      if (process.listenerCount('unhandledRejection') > 1) return
      if (fromAppFile((e as Error)?.stack) || !(e instanceof Error)) return notice(`an app file rejected a promise after loading (ignored): ${firstLine(e)}`)
      notice(`internal error: ${firstLine(e)}`)
      process.exitCode = 2
      realExit!.call(process, 2)
    })
  }
}

/** Run `fn`, which loads the app file `file`, under the guards above, for at most `timeoutMs`. */
export async function guardAppCode<T>(file: string, timeoutMs: number | undefined, fn: () => Promise<T>): Promise<T> {
  appFiles.add(file)
  install()
  const budget = timeoutMs && timeoutMs > 0 ? timeoutMs : 5000
  let timer: NodeJS.Timeout | undefined
  const previous = loading
  try {
    return await new Promise<T>((resolve, reject) => {
      loading = {reject}
      timer = setTimeout(
        () => reject(new AppCodeError(`it did not finish loading within ${budget} ms (a promise that never settles, or a connection function that never returns?)`)),
        budget,
      )
      let result: Promise<T>
      try {
        result = fn()
      } catch (error) {
        return reject(error)
      }
      result.then(resolve, reject)
    })
  } finally {
    clearTimeout(timer)
    loading = previous
  }
}
