// The set A reader and the replay plan: missing markers, descriptors, malformed lines (fuzzed),
// the directory and the tar.gz read alike, and what each parameter becomes on the wire.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { FirmwareErrorCode, decodeHl7, fuzzRuns, labCodeTable } from '@neva/firmware-adapters'
import { parsePhysionet2012Stay, physionet2012LabCodes, planPhysionet2012Replay, readPhysionet2012 } from '../src/index.js'

const SET_A = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/data/physionet-2012/set-a.tar.gz')

const STAY = [
  'Time,Parameter,Value',
  '00:00,RecordID,140001', '00:00,Age,54', '00:00,Gender,0', '00:00,Height,-1', '00:00,ICUType,4', '00:00,Weight,-1',
  '00:07,HR,88', '00:07,Temp,36.9', '00:07,GCS,15', '00:07,Weight,81.2',
  '00:35,FiO2,0.5', '00:35,MechVent,1', '00:35,Lactate,2.1', '00:35,SaO2,97', '00:35,NIMAP,-1',
  '01:10,FiO2,0.5', '01:10,FiO2,0.4', 'garbage line', '47:59,HR,92',
].join('\n')

test('a stay: descriptors apart, -1 is missing (never a value), a malformed line named and skipped', () => {
  const stay = parsePhysionet2012Stay(STAY, '140001.txt')
  assert.equal(stay.recordId, '140001')
  assert.deepEqual(stay.descriptors, { RecordID: 140001, Age: 54, Gender: 0, ICUType: 4 })
  assert.equal(stay.readings.find((r) => r.parameter === 'NIMAP'), undefined)
  assert.deepEqual(stay.readings.filter((r) => r.parameter === 'Weight'), [{ minute: 7, parameter: 'Weight', value: 81.2 }])
  assert.deepEqual(stay.readings.at(-1), { minute: 47 * 60 + 59, parameter: 'HR', value: 92 })
  assert.equal(stay.skipped.length, 1)
  assert.match(stay.skipped[0]!.reason, /garbage line/)
})

test('the plan: vitals in one ORU^R01 per minute the gateway decodes back to the recorded values and time; labs to ASTM; FiO2 changes to OPC UA', () => {
  const admission = Date.UTC(2026, 0, 1)
  const plan = planPhysionet2012Replay([parsePhysionet2012Stay(STAY, '140001.txt')], { admission, runTag: 't' })
  const first = plan.steps[0]!
  const decoded = decodeHl7(first.hl7!.message, admission + 3_600_000, { labCodes: labCodeTable(physionet2012LabCodes()) })
  assert.deepEqual(decoded.observations.map((o) => [o.name, o.value, o.device_time]), [['heart_rate', 88, admission + 7 * 60_000], ['temperature', 36.9, admission + 7 * 60_000], ['other', 81.2, admission + 7 * 60_000]])
  assert.deepEqual(decoded.labResults.map((l) => [l.test_code, l.numeric_value, l.result_time]), [['9269-2', 15, admission + 7 * 60_000]])
  // Only the device entry is ignored: the weight (MDC_MASS_BODY_ACTUAL) is kept as a coded metric.
  assert.deepEqual(decoded.ignored.map((p) => p.code), [FirmwareErrorCode.NEVA_HL7V2_DEVICE_ENTRY])
  const labs = plan.steps.find((s) => s.astm)!.astm!
  assert.deepEqual(labs.results.map((r) => [r.test_code, r.value]), [['LACT', '2.1'], ['SAO2', '97']])
  // 0.5 twice: the second is no change; MechVent sent but not stored.
  assert.deepEqual(plan.steps.flatMap((s) => s.opcua.map((w) => [w.variable, w.value])), [['FiO2', 0.5], ['MechVent', 1], ['FiO2', 0.4]])
  assert.deepEqual(plan.expected.filter((e) => e.path === 'opcua').map((e) => e.value), [50, 40])
  assert.equal(plan.excluded[Object.keys(plan.excluded).find((k) => k.includes('unchanged'))!]!.count, 1)
})

test('a file without the header line: its first line is named, not read', () => {
  const stay = parsePhysionet2012Stay('00:07,HR,80\n00:08,HR,81\n', '140002.txt')
  assert.match(stay.skipped[0]!.reason, /expected header/)
  assert.deepEqual(stay.readings, [{ minute: 8, parameter: 'HR', value: 81 }])
})

test('any text: the reader never throws, never keeps a -1 or a non-number', () => {
  const line = fc.oneof(fc.string(), fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 59 }), fc.constantFrom('HR', 'GCS', 'Age', ''), fc.oneof(fc.double(), fc.constant(-1), fc.string()))
    .map(([h, m, p, v]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')},${p},${v}`))
  fc.assert(fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
    const stay = parsePhysionet2012Stay(lines.join('\n'))
    for (const r of stay.readings) assert.ok(Number.isFinite(r.value) && r.value !== -1 && r.parameter !== '')
  }), { numRuns: fuzzRuns() })
})

test('set A: the tar.gz and its extracted folder give the same stays', { skip: !existsSync(SET_A) && 'no ../shared/data/physionet-2012 here' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-seta-'))
  try {
    const fromTar = readPhysionet2012(SET_A, 2)
    execFileSync('tar', ['xzf', SET_A, '-C', dir, ...fromTar.map((s) => `set-a/${s.recordId}.txt`)])
    assert.deepEqual(readPhysionet2012(dir, 2), fromTar)
    assert.ok(fromTar[0]!.readings.length > 50)
    // A directory holding a held-out set's archive (set-b.tar.gz) reads as the archive does.
    const held = join(dir, 'held')
    mkdirSync(held)
    execFileSync('tar', ['czf', join(held, 'set-b.tar.gz'), '-C', dir, 'set-a'])
    assert.deepEqual(readPhysionet2012(held, 2), fromTar)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
