// neva edge-credential: the entry it prints is one the gateway accepts, and its hash verifies
// the password it printed (and no other).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { parsePasswordHash, verifyPassword } from '@neva/edge/password-hash'

const NEVA = fileURLToPath(new URL('../../bin/neva', import.meta.url))
const run = (args: string[], input?: string) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
  const child = execFile(NEVA, args, { timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
  child.stdin!.end(input ?? '')
})

test('device: a random password on stderr, a config entry on stdout whose hash verifies it', async () => {
  const { code, stdout, stderr } = await run(['edge-credential', 'device', '--username', 'amb-7-tablet', '--device', 'amb-7.*', '--patient', 'amb-7.*', '--memory-kib', '256', '--passes', '1'])
  assert.equal(code, 0, stderr)
  const entry = JSON.parse(stdout) as { username: string; password_hash: string; device_ids: string[]; patient_ids: string[] }
  assert.deepEqual([entry.username, entry.device_ids, entry.patient_ids], ['amb-7-tablet', ['amb-7.*'], ['amb-7.*']])
  const password = /: (\S+)\n$/.exec(stderr)![1]!
  assert.ok(!stdout.includes(password), 'the password is not in the entry')
  assert.equal(await verifyPassword(password, parsePasswordHash(entry.password_hash)), true)
  assert.equal(await verifyPassword(`${password}x`, parsePasswordHash(entry.password_hash)), false)
})

test('device --password-stdin hashes the given password; bad input is refused naming the field', async () => {
  const given = await run(['edge-credential', 'device', '--username', 'mon-1', '--password-stdin', '--memory-kib', '64', '--passes', '1'], 'a long enough password\n')
  assert.equal(given.code, 0, given.stderr)
  assert.equal(given.stderr, '')
  assert.equal(await verifyPassword('a long enough password', parsePasswordHash((JSON.parse(given.stdout) as { password_hash: string }).password_hash)), true)
  const short = await run(['edge-credential', 'device', '--username', 'mon-1', '--password-stdin'], 'short\n')
  assert.equal(short.code, 2)
  const badId = await run(['edge-credential', 'device', '--username', 'mon-1', '--device', 'a*b'])
  assert.equal(badId.code, 1)
  assert.match(badId.stderr, /\/mqtt\/credentials\/0\/device_ids\/0/)
})

test('api: the token on stderr, its sha256 on stdout', async () => {
  const { code, stdout, stderr } = await run(['edge-credential', 'api'])
  assert.equal(code, 0, stderr)
  const token = /: (\S+)\n$/.exec(stderr)![1]!
  assert.deepEqual(JSON.parse(stdout), { token_sha256: createHash('sha256').update(token).digest('hex') })
})
