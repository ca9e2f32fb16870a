// The yaml library, loaded when a file needs it (a --web-config, a Kubernetes manifest): off every other run's
// start-up. yaml is CommonJS; in the split ES build (dist/bundle/*.js) esbuild gives its import() a module
// whose only export is `default` (module.exports), while Node, vitest and check.cjs give the named exports too:
// this returns the library itself in every one of them.
export async function loadYaml(): Promise<typeof import('yaml')> {
  const m = (await import('yaml')) as typeof import('yaml') & {default?: typeof import('yaml')}
  return m.default && typeof m.default.parse === 'function' ? m.default : m
}
