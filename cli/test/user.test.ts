// neva user as an operator runs it (bin/neva in child processes): the first admin and a nurse
// made on the data directory, then changes through a running core's admin API with --core.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hashToken, startCore, type Core } from '@neva/core'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const data = mkdtempSync(join(tmpdir(), 'neva-cli-user-'))

function neva(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(join(ROOT, 'bin/neva'), args, { cwd: ROOT, timeout: 120_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}
const login = (core: Core, username: string, password: string) =>
  fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })

let nursePassword = ''
let core: Core | undefined
after(() => core?.close())

test('on the data directory: the first admin, a nurse with a generated password, a bad grant refused naming it', async () => {
  const admin = await neva(['user', 'add', 'ada', '--name', 'Ada Admin', '--role', 'admin', '--data', data], { NEVA_USER_PASSWORD: 'first admin password' })
  assert.equal(admin.code, 0, admin.stderr)
  assert.match(admin.stdout, /^ada\s+Ada Admin\s+roles: admin/)
  assert.doesNotMatch(admin.stderr, /password for/, 'a password given is not printed')
  const nurse = await neva(['user', 'add', 'nina', '--role', 'nurse', '--ward', 'Test Hospital/ICU', '--data', data])
  assert.equal(nurse.code, 0, nurse.stderr)
  nursePassword = /password for nina: (\S+)/.exec(nurse.stderr)?.[1] ?? ''
  assert.ok(nursePassword.length >= 16)
  const bad = await neva(['user', 'add', 'bob', '--role', 'nurse', '--ward', 'ICU', '--data', data])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /wards\/0/)
  const missing = await neva(['user', 'disable', 'nobody', '--data', data])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no such account: nobody/)
})

test('through a running core (--core): an admin disables the nurse, whose session ends at once; a nurse cannot', async () => {
  core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: join(data, 'clickhouse') }, gateways: { 'gw-1': hashToken('t') }, logLevel: 'silent', bodyLimit: 1024 * 1024 })
  const res = await login(core, 'nina', nursePassword)
  assert.equal(res.status, 200)
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!
  const asNurse = await neva(['user', 'list', '--core', core.url], { NEVA_ADMIN_USER: 'nina', NEVA_ADMIN_PASSWORD: nursePassword })
  assert.equal(asNurse.code, 2)
  assert.match(asNurse.stderr, /403 NEVA_CORE_FORBIDDEN/)
  const admin = { NEVA_ADMIN_USER: 'ada', NEVA_ADMIN_PASSWORD: 'first admin password' }
  const disabled = await neva(['user', 'disable', 'nina', '--core', core.url], admin)
  assert.equal(disabled.code, 0, disabled.stderr)
  assert.equal((await fetch(`${core.url}/v1/me`, { headers: { cookie } })).status, 401)
  assert.equal((await login(core, 'nina', nursePassword)).status, 401)
  const list = await neva(['user', 'list', '--json', '--core', core.url], admin)
  assert.equal(list.code, 0, list.stderr)
  const users = JSON.parse(list.stdout) as Array<{ id: string; disabled: boolean; updated_by: string }>
  assert.deepEqual(users.map((u) => [u.id, u.disabled, u.updated_by]), [['ada', false, users[0]!.updated_by], ['nina', true, 'ada']])
  assert.ok(!list.stdout.includes('argon2'))
})
