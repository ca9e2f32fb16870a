// `npm run docs`: regenerates README.md's code tables from src/catalogue/.
import {readFileSync, writeFileSync} from 'node:fs'
import {renderReadme} from '../src/catalogue/readme.js'

const before = readFileSync('README.md', 'utf8')
const after = renderReadme(before)
if (after !== before) writeFileSync('README.md', after)
console.log(after === before ? 'README.md code tables are up to date' : 'README.md code tables regenerated')
