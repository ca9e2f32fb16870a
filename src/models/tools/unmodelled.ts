// Migration tools db-doctor knows by name but does not model (issue 19, "where time allows"): how a
// project shows it runs one — the bin in a package.json script, or a dependency of the app. When one
// is found, the config check says so (CONFIG_TOOL_UNMODELLED, warn) and names the driver model used
// instead, rather than judging silently with that driver's rules as if the tool were not there.
//   - kysely-ctl: bin `kysely` (`kysely migrate:latest`), config kysely.config.ts;
//   - MikroORM: @mikro-orm/cli, bins `mikro-orm` / `mikro-orm-esm` (`mikro-orm migration:up`),
//     migrations by @mikro-orm/migrations;
//   - umzug: a library (no bin): the app's own script calls `umzug.up()` or `runAsCLI()`.
interface UnmodelledTool {
  name: string
  /** npm packages whose presence in package.json dependencies shows the tool. */
  packages: readonly string[]
  /** Its bin in a package.json command line (null: a library without one). */
  bin: RegExp | null
}

const UNMODELLED_TOOLS: readonly UnmodelledTool[] = [
  {name: 'kysely-ctl', packages: ['kysely-ctl'], bin: /(?:^|[\s/'"])kysely(?:-ctl)?(?=[\s'"]|$)/},
  {
    name: 'mikro-orm',
    packages: ['@mikro-orm/cli', '@mikro-orm/migrations'],
    bin: /(?:^|[\s/'"])mikro-orm(?:-esm)?(?=[\s'"]|$)/,
  },
  {name: 'umzug', packages: ['umzug'], bin: null},
]

/** A tool of UNMODELLED_TOOLS found in the project: by which script (its name) or dependency. */
interface UnmodelledFound {
  tool: string
  script: string | null
  dependency: string | null
}

/** The unmodelled tools a package.json shows (scripts first: they say how the tool is run). Pure. */
export function unmodelledTools(scripts: Record<string, string>, deps: Record<string, unknown>): UnmodelledFound[] {
  const out: UnmodelledFound[] = []
  for (const t of UNMODELLED_TOOLS) {
    const script = t.bin ? Object.entries(scripts).find(([, cmd]) => t.bin!.test(cmd))?.[0] : undefined
    const dependency = t.packages.find((p) => p in deps)
    if (script !== undefined || dependency !== undefined)
      out.push({tool: t.name, script: script ?? null, dependency: dependency ?? null})
  }
  return out
}
