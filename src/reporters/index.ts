// The reporter registry: format name → reporter. Each reporter is a pure function of the
// run's report (one target or a fleet) to a string, and of the check list for --list.
// Modules load on demand so that a run only pays for the format it prints.
import type {RunReport} from '../core/types.js'
import type {formatSays} from '../catalogue/formats.js'

export interface RenderOptions {
  /** ANSI colours (text on a terminal only). */
  color: boolean
  verbose: boolean
  /** Width to fit text in. */
  width: number
  /** Warnings count as failures (JUnit failure, GitHub ::error). */
  strict: boolean
  /** ISO time stamp of the run (JUnit). */
  timestamp?: string
}

interface CheckListEntry {
  id: string
  title: string
}

export interface Reporter {
  name: string
  description: string
  render(doc: RunReport, opts: RenderOptions): string
  /** --list in this format. */
  renderList(list: readonly CheckListEntry[]): string
}

const textList = (list: readonly CheckListEntry[]) => list.map((c) => `${c.id.padEnd(12)} ${c.title}`).join('\n')
const jsonList = (list: readonly CheckListEntry[]) => JSON.stringify({checks: list}, null, 2)

/** A format's description, from the catalogue, loaded with its reporter (start-up loads no catalogue). */
const described = async (format: keyof typeof formatSays): Promise<string> =>
  (await import('../catalogue/formats.js')).formatSays[format]()

const LOADERS = {
  text: async (): Promise<Reporter> => {
    const {renderTextRun} = await import('./run.js')
    return {
      name: 'text',
      description: await described('text'),
      render: (doc, o) => renderTextRun(doc, {color: o.color, verbose: o.verbose, width: o.width}),
      renderList: textList,
    }
  },
  json: async (): Promise<Reporter> => {
    const {renderJsonRun} = await import('./run.js')
    return {
      name: 'json',
      description: await described('json'),
      render: (doc) => renderJsonRun(doc),
      renderList: jsonList,
    }
  },
  jsonl: async (): Promise<Reporter> => {
    const {renderJsonLines} = await import('./run.js')
    return {
      name: 'jsonl',
      description: await described('jsonl'),
      render: (doc) => renderJsonLines(doc),
      renderList: (list) => list.map((c) => JSON.stringify(c)).join('\n'),
    }
  },
  markdown: async (): Promise<Reporter> => {
    const {renderMarkdownRun} = await import('./run.js')
    return {
      name: 'markdown',
      description: await described('markdown'),
      render: (doc, o) => renderMarkdownRun(doc, {verbose: o.verbose}),
      renderList: (list) => list.map((c) => `- \`${c.id}\`: ${c.title}`).join('\n'),
    }
  },
  junit: async (): Promise<Reporter> => {
    const {renderJunit} = await import('./junit.js')
    return {
      name: 'junit',
      description: await described('junit'),
      render: (doc, o) => renderJunit(doc, {strict: o.strict, timestamp: o.timestamp}),
      renderList: textList,
    }
  },
  github: async (): Promise<Reporter> => {
    const {renderGithub} = await import('./github.js')
    return {
      name: 'github',
      description: await described('github'),
      render: (doc, o) => renderGithub(doc, {strict: o.strict, verbose: o.verbose, width: o.width}),
      renderList: textList,
    }
  },
  openmetrics: async (): Promise<Reporter> => {
    const {renderOpenMetrics} = await import('./openmetrics.js')
    return {
      name: 'openmetrics',
      description: await described('openmetrics'),
      render: (doc, o) => renderOpenMetrics(doc, {strict: o.strict}).trimEnd(),
      renderList: textList,
    }
  },
} as const

export type FormatName = keyof typeof LOADERS
export const FORMATS = Object.keys(LOADERS) as FormatName[]

export function isFormat(name: string): name is FormatName {
  return Object.hasOwn(LOADERS, name)
}

export async function reporter(name: FormatName): Promise<Reporter> {
  return LOADERS[name]()
}
