// serve's --web-config (exporter-toolkit's format: TLS, basic auth with bcrypt or sha256 hashes, bearer
// tokens by hash) and --listen, as pure logic; then the prober over real HTTPS with auth, its runner a
// stub (the HTTP behaviour is the subject here: the real probes run in prometheus.test.ts).
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {Agent, request} from 'node:https'
import path from 'node:path'
import bcrypt from 'bcryptjs'
import {describe, expect, it} from 'vitest'
import {createProbeServer, negotiate, readWebConfig, WebConfigError} from '../../src/app/serve/index.js'
import {authenticator, parseWebConfig} from '../../src/app/serve/web-config.js'
import {parseListen} from '../../src/commands/serve.js'
import type {Report} from '../../src/core/types.js'
import {createSelfSignedLeaf} from '../helpers/certs.js'
import {BIN, cleanEnv} from '../helpers/cli.js'
import {readableDir} from '../helpers/prometheus.js'

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`

describe('web config and --listen', () => {
  it('parses users, tokens and TLS; refuses unknown keys and passwords in clear', () => {
    const read = (p: string) => Buffer.from(`pem of ${p}`)
    const c = parseWebConfig(
      {
        tls_server_config: {cert_file: 'a.crt', key_file: 'a.key'},
        basic_auth_users: {prom: sha('pw')},
        bearer_tokens: [sha('tok')],
      },
      'web.yml',
      read,
    )
    expect(c.tls?.cert.toString()).toBe('pem of a.crt')
    expect(c.users.get('prom')).toBe(sha('pw'))
    expect(c.tokens).toHaveLength(1)
    expect(() => parseWebConfig({basic_auth_user: {}}, 'web.yml', read)).toThrow(/unknown key "basic_auth_user"/)
    expect(() => parseWebConfig({basic_auth_users: {prom: 'secret-pw'}}, 'web.yml', read)).toThrow(/never a password/)
    expect(() => parseWebConfig({bearer_tokens: ['tok']}, 'web.yml', read)).toThrow(/never a token/)
    expect(() => parseWebConfig({tls_server_config: {cert_file: 'a'}}, 'web.yml', read)).toThrow(WebConfigError)
  })

  it('authenticates sha256 and bcrypt users and bearer tokens; nothing else', async () => {
    const ok = authenticator({
      users: new Map([
        ['s', sha('pw-s')],
        ['b', bcrypt.hashSync('pw-b', 4)],
      ]),
      tokens: [createHash('sha256').update('tok').digest()],
    })
    expect(await ok(basic('s', 'pw-s'))).toBe(true)
    expect(await ok(basic('b', 'pw-b'))).toBe(true)
    expect(await ok(basic('b', 'pw-b'))).toBe(true) // cached
    expect(await ok('Bearer tok')).toBe(true)
    for (const h of [undefined, '', basic('s', 'pw-b'), basic('x', 'pw-s'), 'Bearer nope', 'Basic !!', basic('b', '')])
      expect(await ok(h)).toBe(false)
    expect(await authenticator({users: new Map(), tokens: []})(undefined)).toBe(true)
  })

  it('--listen forms; content negotiation', () => {
    expect(parseListen('127.0.0.1:9754')).toEqual({host: '127.0.0.1', port: 9754})
    expect(parseListen('[::1]:80')).toEqual({host: '::1', port: 80})
    expect(parseListen(':9754')).toEqual({host: '::', port: 9754})
    for (const bad of ['9754', 'host', 'a:b', '1.2.3.4:99999', '[::1]']) expect(parseListen(bad)).toBeUndefined()
    expect(negotiate('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5')).toBe('openmetrics')
    expect(negotiate(undefined)).toBe('prometheus')
  })
})

describe('the prober over HTTPS with auth', () => {
  it('401 without credentials (healthy needs none), 200 with them; a probe past its deadline answers timed_out', async () => {
    const leaf = await createSelfSignedLeaf({commonName: 'localhost', ipAddresses: ['127.0.0.1']})
    const dir = readableDir('dbd-webcfg-')
    writeFileSync(path.join(dir, 'tls.crt'), leaf.certPem)
    writeFileSync(path.join(dir, 'tls.key'), leaf.keyPem)
    writeFileSync(
      path.join(dir, 'web.yml'),
      `tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nbasic_auth_users:\n  prom: ${bcrypt.hashSync('s3cret', 4)}\n`,
    )
    const web = await readWebConfig(path.join(dir, 'web.yml'))
    const report: Report = {
      version: 1,
      tool: 't',
      target: {host: null, port: null, database: null, user: null, sslmode: null, sources: {}},
      checks: [],
      summary: {pass: 0, warn: 0, fail: 0, skip: 0, verdict: 'healthy'},
    }
    let runs = 0
    const server = createProbeServer({
      targets: ['fast', 'slow'],
      run: async (name) => {
        runs++
        if (name === 'slow') await new Promise((r) => setTimeout(r, 1500))
        return report
      },
      version: '0.0.0',
      stepTimeoutMs: 1000,
      probeTimeoutMs: 5000,
      concurrency: 2,
      minIntervalMs: 60_000,
      strict: false,
      web,
    })
    const {port} = await server.listen('127.0.0.1', 0)
    const agent = new Agent({ca: leaf.certPem})
    const get = (p: string, headers: Record<string, string> = {}) =>
      new Promise<{status: number; body: string}>((resolve, reject) => {
        const req = request({host: '127.0.0.1', port, path: p, agent, headers, servername: 'localhost'}, (res) => {
          let body = ''
          res.on('data', (d) => (body += d))
          res.on('end', () => resolve({status: res.statusCode!, body}))
        })
        req.on('error', reject)
        req.end()
      })
    try {
      expect((await get('/-/healthy')).status).toBe(200)
      expect((await get('/probe?target=fast')).status).toBe(401)
      expect((await get('/metrics', {authorization: basic('prom', 'wrong')})).status).toBe(401)
      const auth = {authorization: basic('prom', 's3cret')}
      expect(await get('/probe?target=fast', auth)).toMatchObject({
        status: 200,
        body: expect.stringContaining('db_doctor_probe_success 1'),
      })
      // --min-interval: the second scrape reuses the first probe
      await get('/probe?target=fast', auth)
      expect(runs).toBe(1)
      const slow = await get('/probe?target=slow', {...auth, 'x-prometheus-scrape-timeout-seconds': '1'})
      expect(slow.body).toContain('db_doctor_probe_success 0')
      expect(slow.body).toContain('db_doctor_probe_timed_out 1')
      expect((await get('/metrics', auth)).body).toMatch(/db_doctor_probes_total\{result="unauthorized"\} 2/)
    } finally {
      await server.shutdown(3000)
    }
  })

  it('the built CLI reads a valid --web-config (yaml as the split bundle gives it): 401 without, 200 with basic auth', async () => {
    const dir = readableDir('dbd-webcfg-cli-')
    writeFileSync(path.join(dir, 'web.yml'), `basic_auth_users:\n  prom: "${sha('s3cret')}"\n`)
    writeFileSync(path.join(dir, 'targets.jsonl'), '{"name":"a","connection":"postgres://app@127.0.0.1:1/appdb"}\n')
    const child = spawn(
      process.execPath,
      ['--', BIN, 'serve', '--targets', 'targets.jsonl', '--listen', '127.0.0.1:0', '--web-config', 'web.yml'],
      {cwd: dir, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe']},
    )
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
    try {
      let stderr = ''
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)
          if (m) resolve(Number(m[1]))
        })
        void closed.then(() => reject(new Error(`serve exited: ${stderr}`)))
      })
      const metrics = (headers: Record<string, string> = {}) =>
        fetch(`http://127.0.0.1:${port}/metrics`, {headers}).then((r) => r.status)
      expect(await metrics()).toBe(401)
      expect(await metrics({authorization: basic('prom', 's3cret')})).toBe(200)
    } finally {
      child.kill('SIGTERM')
      expect(await closed).toBe(0)
    }
  })
})
