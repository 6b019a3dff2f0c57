// The live stage with the deterioration model: the shipped risk model on a real pool, a scripted
// triage verdict. The risk in the verdict is what HourlyHistory and the model give offline for
// the same readings; lab results feed it; histories stay bounded.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ModelVerdict, TriageResult } from '@neva/contracts'
import { FEATURES, FEATURE_SET, HourlyHistory, levelWithRisk } from '@neva/triage'
import { SqliteOutbox } from '../outbox/sqlite-outbox.js'
import { DEFAULT_RISK_MANIFEST, readModelFiles } from './model-files.js'
import { TriagePool } from './pool.js'
import { LiveRisk } from './live-risk.js'
import { RiskHistories, type RiskLab } from './risk-histories.js'
import { TriageStage, type ModelScorer, type ScoredObservation } from './triage-stage.js'

const pool = new TriagePool({ threads: 1, spec: { featureSet: FEATURE_SET, features: FEATURES } })
after(() => pool.close())
const T0 = Date.UTC(2026, 0, 1, 8)
const MIN = 60_000

const verdict: ModelVerdict = { id: 'm', version: '7', level: 'green', probabilities: { green: 0.9, yellow: 0.05, red: 0.05 }, drivers: [] }
const scripted: ModelScorer = { observe() {}, verdict: async () => verdict }
const reading = (name: ScoredObservation['name'], value: number, minute: number): ScoredObservation => ({ patient_id: 'p1', name, value, device_time: T0 + minute * MIN, flags: [] })
const lab = (loinc: string, value: number, unit: string, minute: number): RiskLab => ({ patient_id: 'p1', loinc, numeric_value: value, unit, result_time: T0 + minute * MIN, received_time: T0 + minute * MIN + 5000 })

function stage() {
  const outbox = new SqliteOutbox({ path: join(mkdtempSync(join(tmpdir(), 'neva-risk-')), 'o.db'), gatewayId: 'gw' })
  const results: Array<Omit<TriageResult, 'gateway_id' | 'seq'>> = []
  const s = new TriageStage({ outbox, model: scripted, risk: new LiveRisk(pool), onResult: (r) => results.push(r) })
  return { s, results, outbox }
}

test('without a risk model the verdict carries no risk and the level is as before', async () => {
  const { s, results, outbox } = stage()
  await s.consume([reading('heart_rate', 80, 0), reading('respiratory_rate', 16, 0)], [lab('2524-7', 1.2, 'mmol/L', 0)])
  assert.equal(results.length, 1)
  assert.deepEqual(results[0]!.model, verdict)
  assert.equal('risk' in results[0]!.model!, false)
  await outbox.close()
})

test('with the risk model the verdict carries the risk HourlyHistory gives offline, labs included; the level never falls below NEWS2', async () => {
  const shipped = await readModelFiles(DEFAULT_RISK_MANIFEST)
  const manifest = await pool.installRisk(shipped.manifest, shipped.bytes)
  const { s, results, outbox } = stage()
  const vitals = [
    reading('heart_rate', 118, 0), reading('respiratory_rate', 26, 0), reading('nibp_systolic', 92, 0), reading('temperature', 38.6, 0), reading('spo2', 91, 0),
    reading('heart_rate', 124, 90), reading('respiratory_rate', 28, 90), reading('nibp_systolic', 88, 90), reading('nibp_mean', 61, 90), reading('fio2', 40, 90),
  ]
  const labs = [lab('9269-2', 13, '{score}', 30), lab('2524-7', 3.4, 'mmol/L', 60), lab('2160-0', 1.9, 'mg/dL', 60), lab('2345-7', 5.4, 'mmol/L', 60)]
  await s.consume(vitals, labs)
  const last = results.at(-1)!
  // Offline: the same readings (glucose in mmol/L is not the trained unit: left out; fio2 as a fraction).
  const h = new HourlyHistory()
  const add = (parameter: Parameters<HourlyHistory['add']>[0]['parameter'], value: number, minute: number) => h.add({ parameter, value, minute })
  add('pulse', 118, 0); add('respiratory_rate', 26, 0); add('systolic_bp', 92, 0); add('temperature', 38.6, 0); add('spo2', 91, 0)
  add('pulse', 124, 90); add('respiratory_rate', 28, 90); add('systolic_bp', 88, 90); add('map', 61, 90); add('fio2', 0.4, 90)
  add('gcs', 13, 30); add('lactate', 3.4, 60); add('creatinine', 1.9, 60)
  const offline = await pool.risk(Float32Array.from(h.features(90, null)), 1)
  assert.ok(offline)
  assert.ok(Math.abs(last.model!.risk! - offline.risk[0]!) < 1e-9, `${last.model!.risk} vs ${offline.risk[0]}`)
  assert.equal(last.model!.risk_model, `${manifest.id}@${manifest.version}`)
  assert.deepEqual(last.model!.risk_inputs, ['creatinine', 'fio2', 'gcs', 'lactate', 'map', 'pulse', 'respiratory_rate', 'spo2', 'systolic_bp', 'temperature'])
  assert.equal(last.model!.sparse, undefined)
  assert.equal(last.level, levelWithRisk(last.news2.level, { risk: last.model!.risk! }, manifest.escalation))
  assert.equal(s.snapshot()[0]!.level, last.level)

  // Lab results alone rescore the patient when they move the risk by a point or more.
  const before = results.length
  await s.consume([], [lab('2524-7', 9.5, 'mmol/L', 100), lab('1963-8', 12, 'mmol/L', 100), lab('2744-1', 7.05, '[pH]', 100)])
  assert.equal(results.length, before + 1, 'severe acidosis with a high lactate moves the risk')
  assert.ok(results.at(-1)!.model!.risk! > last.model!.risk!, `${results.at(-1)!.model!.risk} after the labs, ${last.model!.risk} before`)
  assert.ok(results.at(-1)!.model!.risk_inputs!.includes('ph'))
  await outbox.close()
})

test('from too few bedside vitals the risk says so and the level is NEWS2\'s', async () => {
  const shipped = await readModelFiles(DEFAULT_RISK_MANIFEST)
  await pool.installRisk(shipped.manifest, shipped.bytes)
  const { s, results, outbox } = stage()
  await s.consume([reading('heart_rate', 150, 0)])
  const r = results[0]!
  assert.match(r.model!.sparse!, /only 1 of the 6 bedside vitals \(pulse\)/)
  assert.equal(r.level, r.news2.level)
  assert.ok(r.model!.risk! >= 0 && r.model!.risk! <= 1)
  await outbox.close()
})

test('histories stay bounded: a patient silent 48 h is dropped, and beyond the cap the longest silent goes', () => {
  const h = new RiskHistories(3)
  h.add('a', 'pulse', 80, T0)
  h.add('b', 'pulse', 80, T0 + 60 * MIN)
  h.add('c', 'pulse', 80, T0 + 49 * 60 * MIN)
  assert.deepEqual([h.row('a'), h.row('b') !== undefined, h.size()], [undefined, true, 2])
  h.add('b', 'pulse', 81, T0 + 50 * 60 * MIN)
  h.add('d', 'pulse', 80, T0 + 51 * 60 * MIN)
  h.add('e', 'pulse', 80, T0 + 52 * 60 * MIN)
  assert.deepEqual([h.size(), h.row('c'), h.row('b') !== undefined], [3, undefined, true])
})

test('histories saved and loaded score the same; patients silent 48 h are not loaded; a bad file starts empty, logged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-risk-save-'))
  const path = join(dir, 'triage', 'risk-histories.json')
  const h = new RiskHistories()
  h.add('p1', 'pulse', 110, T0); h.add('p1', 'gcs', 13, T0 + 30 * MIN); h.add('p1', 'lactate', 3.1, T0 + 95 * MIN)
  h.add('old', 'pulse', 70, T0 - 60 * 60 * MIN)
  h.save(path, T0 + 100 * MIN)
  const back = RiskHistories.load(path, undefined, T0 + 100 * MIN)
  assert.deepEqual(Array.from(back.row('p1')!.features), Array.from(h.row('p1')!.features))
  assert.deepEqual(back.row('p1')!.inputs, ['gcs', 'lactate', 'pulse'])
  assert.equal(back.row('old'), undefined)
  // More readings after the restart continue the same hours.
  h.add('p1', 'pulse', 130, T0 + 200 * MIN); back.add('p1', 'pulse', 130, T0 + 200 * MIN)
  assert.deepEqual(Array.from(back.row('p1')!.features), Array.from(h.row('p1')!.features))

  assert.equal(RiskHistories.load(join(dir, 'none.json')).size(), 0)
  const { writeFileSync } = await import('node:fs')
  writeFileSync(path, JSON.stringify({ version: 1, patients: [['p1', { start: Date.now(), newest: Date.now(), seen: [], history: { series: [['nope', {}]], carried: [] } }]] }))
  const logged: string[] = []
  const live = LiveRisk.restore(pool, path, (_level, msg, fields) => logged.push(`${msg}: ${String(fields.err)}`))
  assert.equal(live.histories.size(), 0)
  assert.match(logged[0]!, /risk histories not restored; starting empty: hourly history state: bad series nope/)
})
