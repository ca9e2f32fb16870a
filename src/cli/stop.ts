// SIGTERM / SIGINT for the commands that stop early on them (check, wait): one place for the rule that the
// exit code stays 0/1/2 — never a death by signal (143/130) that a `db-doctor check && migrate` or a
// Kubernetes init container would read as something else.

interface StopListener {
  /** From now on a signal exits 1 at once (the report is being written: the output may be cut). */
  exitOnSignal(): void
  /** Removes both listeners. */
  off(): void
}

/** Calls `onStop` on the first SIGTERM or SIGINT; a second one (the user or the kubelet insisting) exits 1 at once. */
export function listenForStop(onStop: (signal: NodeJS.Signals) => void): StopListener {
  let signalled = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1)
    signalled = true
    onStop(signal)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return {
    exitOnSignal: () => void (signalled = true),
    off: () => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    },
  }
}
