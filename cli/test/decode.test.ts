// neva decode on captures: the real device messages in ../shared/fixtures/real (skipped when the
// folder is absent) and captures made here with garbage in them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Alarm, InfusionEvent, LabResult, Observation, validator } from '@neva/contracts'
import { encodeOximeterAsciiRecord, encodeOruR01 } from '@neva/firmware-adapters'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const REAL = resolve(ROOT, '../shared/fixtures/real')
const NEVA = join(ROOT, 'bin/neva')
const neva = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
  execFile(NEVA, args, { timeout: 60_000 }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
})
const observation = validator(Observation)
const labResult = validator(LabResult)
const alarm = validator(Alarm)
const infusion = validator(InfusionEvent)
const records = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)

test('neva decode --protocol astm: every real analyzer capture decodes to valid lab results; the non-ASTM ones are refused with a reason', { skip: !existsSync(REAL) && 'no real fixtures here' }, async () => {
  const dir = join(REAL, 'astm')
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.astm'))) {
    const { code, stdout, stderr } = await neva(['decode', '--protocol', 'astm', '--device-id', 'an-1', join(dir, f)])
    assert.equal(code, 0, `${f}: ${stderr}`)
    const out = records(stdout)
    assert.ok(out.length > 0, f)
    for (const r of out) assert.ok(labResult.check({ gateway_id: 'g', seq: 1, ...r }), `${f}: ${labResult.explain({ gateway_id: 'g', seq: 1, ...r })}`)
  }
  for (const f of readdirSync(join(dir, 'non-astm'))) {
    const { code, stdout, stderr } = await neva(['decode', '--protocol', 'astm', join(dir, 'non-astm', f)])
    assert.equal(code, 1, f)
    assert.equal(stdout, '')
    assert.match(stderr, /offset \d+: NEVA_ASTM_\w+: \S/, f)
  }
})

test('neva decode --protocol hl7v2: monitors give observations, the analyzer lab results, ORU^R40 alarms, a pump ORU^R42 an infusion event', { skip: !existsSync(REAL) && 'no real fixtures here' }, async () => {
  const dir = join(REAL, 'hl7')
  for (const f of readdirSync(dir)) {
    const { code, stdout, stderr } = await neva(['decode', '--protocol', 'hl7v2', join(dir, f)])
    const out = records(stdout)
    assert.equal(code, 0, `${f}: ${stderr}`)
    assert.ok(out.length > 0, f)
    // One alarm per alert (the watchdog heartbeat is none: counted on stderr); numbers an alert
    // carries beside its source measurement come out as coded readings.
    if (/r40/i.test(f)) assert.equal(out.filter((r) => 'alarm_id' in r).length, /watchdog/.test(f) ? 0 : 1, f)
    if (/r42/i.test(f)) assert.equal(out.filter((r) => 'event_id' in r).length, 1, f)
    for (const r of out) {
      const ok = 'event_id' in r ? infusion.check({ gateway_id: 'g', seq: 1, ...r }) : 'alarm_id' in r ? alarm.check({ gateway_id: 'g', seq: 1, ...r }) : 'test_code' in r ? labResult.check({ gateway_id: 'g', seq: 1, ...r }) : observation.check({ gateway_id: 'g', seq: 1, ...r })
      assert.ok(ok, `${f}: ${JSON.stringify(r)}`)
    }
  }
})

test('neva decode: good messages around garbage decode; the garbage is reported with its byte offset and exit code 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-decode-'))
  const t = Date.UTC(2026, 10, 26, 9)
  const msg = (id: string) => encodeOruR01({ controlId: id, time: t, sendingApplication: 'MON', patientId: 'p-1', readings: [{ vital: 'spo2', value: 97 }, { vital: 'heart_rate', value: 72 }] })
  // MLLP frames with junk between them, as a serial-to-TCP converter might deliver.
  const frame = (m: string) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(m), Buffer.from([0x1c, 0x0d])])
  const hl7 = Buffer.concat([frame(msg('1')), Buffer.from('JUNK'), frame(msg('2'))])
  writeFileSync(join(dir, 'capture.hl7'), hl7)
  let r = await neva(['decode', '--protocol', 'hl7v2', join(dir, 'capture.hl7')])
  assert.equal(r.code, 1)
  assert.equal(records(r.stdout).length, 4)
  assert.match(r.stderr, new RegExp(`offset ${hl7.indexOf('JUNK')}: `))

  const lines = [0, 1, 2].map((i) => encodeOximeterAsciiRecord({ time: t + i * 1000, spo2: 95 + i, pulseRate: 70 }))
  const ascii = lines[0]! + 'garbage line\r\n' + lines[1]! + lines[2]!
  writeFileSync(join(dir, 'oxi.txt'), ascii)
  r = await neva(['decode', '--protocol', 'oximeter-ascii', '--patient-id', 'bed-1', join(dir, 'oxi.txt')])
  assert.equal(r.code, 1)
  const out = records(r.stdout)
  assert.deepEqual(out.filter((o) => o.name === 'spo2').map((o) => o.value), [95, 96, 97])
  assert.match(r.stderr, new RegExp(`offset ${lines[0]!.length}: NEVA_OXIMETER_\\w+`))

  writeFileSync(join(dir, 'clean.txt'), lines.join(''))
  r = await neva(['decode', '--protocol', 'oximeter-ascii', '--patient-id', 'bed-1', join(dir, 'clean.txt')])
  assert.equal(r.code, 0, r.stderr)
  r = await neva(['decode', '--protocol', 'nope', join(dir, 'clean.txt')])
  assert.equal(r.code, 2)
})
