// Programmatic API: the same diagnostics the CLI runs, without any printing.
export {run} from '@oclif/core'
export {diagnose, type DiagnoseInput} from './core/diagnose.js'
export {checks} from './checks/index.js'
export {renderText} from './reporters/text.js'
export {renderMarkdown} from './reporters/markdown.js'
export {renderJson} from './reporters/json.js'
export type {Check, CheckOutcome, CheckResult, Report, Fix, Status} from './core/types.js'
