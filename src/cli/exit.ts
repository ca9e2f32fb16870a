// Whether the process should exit as soon as the command's output is written (cli.ts reads it after
// the command): its own module, so that reading it loads neither oclif nor a command.

let exitRequested = false

/** Exit as soon as the command's output is written, without waiting for abandoned sockets or lookups. */
export function requestExit(): void {
  exitRequested = true
}

export function isExitRequested(): boolean {
  return exitRequested
}
