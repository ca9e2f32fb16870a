// `npm run docs`: regenerates docs/codes.md (the list of checks and the code tables) from the registry of checks
// and the catalogue: a new check gets its line and its section.
import {readFileSync, writeFileSync} from 'node:fs'
import {renderCodesDoc} from '../src/catalogue/codes-doc.js'
import {catalogue} from '../src/checks/catalogue.js'
import {checks} from '../src/checks/index.js'

const file = 'docs/codes.md'
const before = readFileSync(file, 'utf8')
const after = renderCodesDoc(before, checks, catalogue)
if (after !== before) writeFileSync(file, after)
console.log(after === before ? `${file} is up to date` : `${file} regenerated`)
