import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/quiet-pg-warning.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The suite mostly waits (servers, CLIs, timeouts, blackholes), so it runs more files at once than
    // there are cores (vitest's default on a 2-core machine is one at a time).
    maxWorkers: 5,
  },
})
