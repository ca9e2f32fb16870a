// `npm run size`: what the package weighs — packed and unpacked (npm pack --dry-run), and installed with its
// dependencies in a fresh folder (npm install of the packed tarball, from npm's cache when it can). Figures are
// measured here, never typed into the docs. Needs a build (npm run build) first.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const kb = (n) => `${(n / 1000).toFixed(0)} kB`
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`
const tmp = mkdtempSync(path.join(os.tmpdir(), 'dbd-size-'))
try {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], {encoding: 'utf8'}),
  )
  const app = path.join(tmp, 'app')
  execFileSync('mkdir', ['-p', app])
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({name: 'size-probe', private: true}))
  execFileSync('npm', ['i', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, pack.filename)], {
    cwd: app,
    stdio: 'ignore',
  })
  let bytes = 0
  let packages = 0
  const walk = (dir) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) bytes += statSync(p).size
    }
  }
  walk(path.join(app, 'node_modules'))
  const count = (dir) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue
      if (e.name.startsWith('@')) count(path.join(dir, e.name))
      else packages++
    }
  }
  count(path.join(app, 'node_modules'))
  console.log(
    `${pack.name}@${pack.version}: ${kb(pack.size)} packed, ${mb(pack.unpackedSize)} unpacked (${pack.entryCount} files); ` +
      `${mb(bytes)} installed in ${packages} packages`,
  )
} finally {
  rmSync(tmp, {recursive: true, force: true})
}
