import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EmrEvent, LabResult, validator } from '@neva/contracts'
import { generateEmr, generatePatient } from './generate.js'

const END = Date.UTC(2026, 10, 26)
const event = validator(EmrEvent)
const lab = validator(LabResult)

test('the same seed gives the same patient; every event and lab result is valid by the contracts', () => {
  const o = { patients: 300, seed: 'test', end: END }
  assert.deepEqual(generatePatient(o, 17), generatePatient(o, 17))
  assert.notDeepEqual(generatePatient(o, 17), generatePatient({ ...o, seed: 'other' }, 17))
  for (const r of generateEmr(o)) {
    for (const e of r.events) assert.ok(event.check(e), `${JSON.stringify(e)}: ${event.explain(e)}`)
    for (const l of r.labs) assert.ok(lab.check({ gateway_id: 'g', seq: 1, ...l }), lab.explain({ gateway_id: 'g', seq: 1, ...l })!)
  }
})

test('two years of history; priors show: urinary infections mostly in women, infarcts in the old; complaints in both languages', () => {
  const records = [...generateEmr({ patients: 3000, seed: 'priors', end: END })]
  const events = records.flatMap((r) => r.events)
  const patients = new Map(events.filter((e) => e.type === 'patient').map((p) => [p.patient_id, p]))
  const finals = events.filter((e) => e.type === 'diagnosis' && e.kind === 'final')
  const of = (code: string) => finals.filter((d) => d.type === 'diagnosis' && d.icd10 === code).map((d) => patients.get(d.patient_id)!)
  const uti = of('N39.0')
  assert.ok(uti.filter((p) => p.sex === 'female').length / uti.length > 0.65)
  const mi = of('I21.9')
  // Final diagnoses are occasionally a look-alike, so the prior shows in the mass, not in every case.
  assert.ok(mi.length > 0 && mi.filter((p) => 2026 - p.birth_year >= 45).length / mi.length > 0.8)
  const times = events.filter((e) => e.type === 'encounter').map((e) => (e.type === 'encounter' ? e.start_time : 0))
  assert.ok(Math.min(...times) >= END - 2 * 366 * 86_400_000 && Math.max(...times) <= END)
  const complaints = events.filter((e) => e.type === 'complaint')
  const ru = complaints.filter((c) => c.type === 'complaint' && c.language === 'ru').length / complaints.length
  assert.ok(ru > 0.6 && ru < 0.8, `share in Russian ${ru}`)
  // The preliminary diagnosis is sometimes a look-alike; the final one rarely.
  const byEncounter = new Map<string, Record<string, string>>()
  for (const d of events) if (d.type === 'diagnosis') byEncounter.set(d.encounter_id, { ...byEncounter.get(d.encounter_id), [d.kind]: d.icd10 })
  const agree = [...byEncounter.values()].filter((d) => d.preliminary === d.final).length / byEncounter.size
  assert.ok(agree > 0.6 && agree < 0.85, `preliminary = final in ${agree}`)
})
