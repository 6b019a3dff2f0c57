// The set-A reader and the hourly features on real stays (../shared/data/physionet-2012, never
// copied into the repo): read from the tar.gz as shipped, and from a directory extracted to a temp dir.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { extractHourlyFeatures, HOURLY_FEATURES } from '@neva/triage'
import { hourlyObservations, parseOutcomes, parseStay, readStays, snapshotObservations, stayRows } from '../src/model/physionet2012.js'

const DATA = fileURLToPath(new URL('../../../shared/data/physionet-2012/', import.meta.url))
const skip = existsSync(join(DATA, 'set-a.tar.gz')) ? false : 'no ../shared/data/physionet-2012'
const col = (name: string) => HOURLY_FEATURES.findIndex((f) => f.name === name)

test('reads the same stays from set-a.tar.gz and from an extracted directory', { skip }, async () => {
  const fromTar = await readStays(join(DATA, 'set-a.tar.gz'), 5)
  const dir = mkdtempSync(join(tmpdir(), 'neva-physionet-'))
  try {
    execFileSync('tar', ['-xzf', join(DATA, 'set-a.tar.gz'), '-C', dir])
    const fromDir = await readStays(dir, 5)
    assert.deepEqual(fromDir, fromTar)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  assert.deepEqual(fromTar.map((s) => s.recordId), ['132539', '132540', '132541', '132543', '132545'])
  const first = fromTar[0]!
  assert.equal(first.descriptors.Age, 54)
  assert.equal(first.descriptors.Height, undefined, '-1 is missing, not a value')
  assert.deepEqual(first.readings[0], { minute: 7, parameter: 'GCS', value: 15 })
  assert.ok(fromTar.every((s) => s.readings.every((o) => o.value !== -1)))
})

test('features on real stays: recorded values as recorded, missing stays missing', { skip }, async () => {
  const stays = await readStays(join(DATA, 'set-a.tar.gz'), 8)
  for (const stay of stays) {
    const obs = hourlyObservations(stay)
    const x = extractHourlyFeatures(obs, 24 * 60, stay.descriptors.Age ?? null)
    for (const p of ['lactate', 'pulse', 'platelets', 'spo2', 'respiratory_rate'] as const) {
      const seen = obs.filter((o) => o.parameter === p && o.minute <= 24 * 60)
      if (seen.length === 0) {
        assert.equal(x[col(`${p}_missing`)], 1, `${stay.recordId} ${p}`)
        assert.ok(Number.isNaN(x[col(`${p}_latest`)]!), `${stay.recordId} ${p} missing must be NaN, not 0`)
      } else {
        assert.equal(x[col(`${p}_missing`)], 0)
        assert.equal(x[col(`${p}_latest`)], seen.at(-1)!.value)
        assert.equal(x[col(`${p}_count`)], seen.length)
      }
    }
    assert.equal(x[col('age')], stay.descriptors.Age)
  }
  // Stay 132539 has no lactate and no SaO2 at all; its pulse is recorded hourly.
  const rows = stayRows(stays.slice(0, 1), 48)
  assert.equal(rows.x[col('lactate_missing')], 1)
  assert.equal(rows.x[col('spo2_missing')], 1)
  assert.ok(rows.news2[0]! >= 0)
  // The triage snapshot: the first bedside values only, at minute 0, no labs.
  const snap = snapshotObservations(stays[0]!)
  assert.deepEqual(snap.find((o) => o.parameter === 'pulse'), { minute: 0, parameter: 'pulse', value: 73 })
  assert.ok(snap.every((o) => o.minute === 0 && !['lactate', 'bun', 'creatinine'].includes(o.parameter)))
  const x0 = stayRows(stays.slice(0, 1), 0).x
  assert.equal(x0[col('hours')], 0)
  assert.equal(x0[col('bun_missing')], 1)
})

test('Outcomes-a.txt parses; malformed lines are named', { skip }, () => {
  const outcomes = parseOutcomes(readFileSync(join(DATA, 'Outcomes-a.txt'), 'utf8'))
  assert.equal(outcomes.size, 4000)
  assert.deepEqual(outcomes.get('132539'), { recordId: '132539', saps1: 6, sofa: 1, lengthOfStay: 5, survival: null, inHospitalDeath: 0 })
  assert.equal([...outcomes.values()].filter((o) => o.inHospitalDeath === 1).length, 554)
  assert.throws(() => parseOutcomes('RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\nabc,1,1,1,1,1\n'), /line 2/)
  assert.throws(() => parseStay('Time,Parameter,Value\n00:07,HR,\n'), /line 2/)
  assert.throws(() => parseStay('nope\n'), /header/)
})

test('fuzz: the readers take any bytes, returning stays or throwing an Error that names the problem', async () => {
  const fc = (await import('fast-check')).default
  const { tarFiles: untar } = await import('@neva/simulators')
  const line = fc.tuple(fc.oneof(fc.constantFrom('00:00', '12:34', '47:59', '1:2', ''), fc.string()), fc.constantFrom('HR', 'Age', 'GCS', 'RecordID', '', 'x,y'), fc.oneof(fc.double().map(String), fc.constantFrom('-1', '', 'NaN', '1e999'), fc.string()))
    .map(([t, p, v]) => `${t},${p},${v}`)
  fc.assert(fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), (lines, header) => {
    const text = `${header ? 'Time,Parameter,Value\n' : ''}${lines.join('\n')}`
    try {
      const stay = parseStay(text, 'fuzz')
      for (const o of stay.readings) assert.ok(Number.isFinite(o.value) && o.value !== -1 && Number.isInteger(o.minute))
    } catch (err) {
      assert.ok(err instanceof Error && /fuzz/.test(err.message), String(err))
    }
  }), { numRuns: 300, seed: 2012 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
    try {
      for (const f of untar(bytes)) assert.ok(f.data.length <= bytes.length)
    } catch (err) {
      assert.ok(err instanceof Error, String(err))
    }
  }), { numRuns: 200, seed: 2012 })
  fc.assert(fc.property(fc.string(), (text) => {
    try {
      parseOutcomes(`RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n${text}`, 'fuzz')
    } catch (err) {
      assert.ok(err instanceof Error && /fuzz/.test(err.message), String(err))
    }
  }), { numRuns: 300, seed: 2012 })
})
