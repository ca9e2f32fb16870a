// `npm run docs`: regenerates docs/codes.md's code tables from src/catalogue/.
import {readFileSync, writeFileSync} from 'node:fs'
import {renderCodeTables} from '../src/catalogue/codes-doc.js'
import {catalogue} from '../src/checks/catalogue.js'

const file = 'docs/codes.md'
const before = readFileSync(file, 'utf8')
const after = renderCodeTables(before, catalogue)
if (after !== before) writeFileSync(file, after)
console.log(after === before ? `${file} code tables are up to date` : `${file} code tables regenerated`)
