// Placeholder: the real resolver walks config/sources in order (see types.ts).
import type {ResolvedConfig, SourceContext} from './types.js'

export async function resolveConfig(_ctx: SourceContext): Promise<ResolvedConfig> {
  return {fields: {}, primary: null, shadowed: [], problems: [], notFound: true}
}
